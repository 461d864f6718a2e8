/**
 * Reactions by name (Slack and Mattermost both write `thumbsup`, `+1`, `tada`): the common ones
 * become their Unicode emoji, as Parley's picker sends them; any other name becomes Parley's
 * `:short_name:` form. A skin tone (`::skin-tone-3`) gives the emoji that tone when it has one.
 */
const BY_NAME: Record<string, string> = {
  '+1': '👍', thumbsup: '👍', '-1': '👎', thumbsdown: '👎', heart: '❤️', heart_eyes: '😍', smile: '😄',
  smiley: '😃', grinning: '😀', grin: '😁', joy: '😂', rofl: '🤣', laughing: '😆', satisfied: '😆', sweat_smile: '😅',
  slightly_smiling_face: '🙂', wink: '😉', blush: '😊', thinking_face: '🤔', thinking: '🤔', sob: '😭', cry: '😢',
  open_mouth: '😮', scream: '😱', rage: '😡', tada: '🎉', eyes: '👀', fire: '🔥', rocket: '🚀', pray: '🙏',
  ok_hand: '👌', clap: '👏', wave: '👋', muscle: '💪', raised_hands: '🙌', point_up: '☝️', '100': '💯',
  white_check_mark: '✅', heavy_check_mark: '✔️', x: '❌', warning: '⚠️', star: '⭐', sparkles: '✨', bulb: '💡',
  coffee: '☕', beers: '🍻', beer: '🍺', cake: '🍰', party_popper: '🎉', star_struck: '🤩', upside_down_face: '🙃',
  facepalm: '🤦', shrug: '🤷', see_no_evil: '🙈', skull: '💀', bug: '🐛', memo: '📝', pushpin: '📌', zap: '⚡',
};
/** Emoji that take a skin tone (Fitzpatrick modifiers 🏻..🏿 for tones 2..6). */
const TONED = new Set(['👍', '👎', '👌', '👏', '👋', '💪', '🙌', '🙏', '☝️', '🤦', '🤷']);
const SHORTCODE = /^[a-z0-9_+-]{1,32}$/;

/** The reaction Parley stores for a source emoji name, or null when the name cannot be one. */
export function reactionEmoji(sourceName: string): string | null {
  const [rawName, toneSpec] = sourceName.trim().replace(/^:|:$/g, '').split('::');
  const name = (rawName ?? '').toLowerCase();
  const unicode = BY_NAME[name];
  if (unicode) {
    const tone = /^skin-tone-([2-6])$/.exec(toneSpec ?? '');
    if (!tone || !TONED.has(unicode)) return unicode;
    return unicode.replace('\uFE0F', '') + String.fromCodePoint(0x1f3fb + Number(tone[1]) - 2);
  }
  return SHORTCODE.test(name) ? `:${name}:` : null;
}
