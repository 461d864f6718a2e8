import { standardEmoji } from '../../../protocol/emoji-names.js';

/**
 * Reactions by name (Slack and Mattermost both write `thumbsup`, `+1`, `tada`): the common ones
 * become their Unicode emoji, as Parley's picker sends them; any other name becomes Parley's
 * `:short_name:` form (a custom emoji of that name, if the site has one). A skin tone
 * (`::skin-tone-3`) gives the emoji that tone when it has one.
 */

/** Emoji that take a skin tone (Fitzpatrick modifiers 🏻..🏿 for tones 2..6). */
const TONED = new Set(['👍', '👎', '👌', '👏', '👋', '💪', '🙌', '🙏', '☝️', '🤦', '🤷']);
const SHORTCODE = /^[a-z0-9_+-]{1,32}$/;

/** The reaction Parley stores for a source emoji name, or null when the name cannot be one. */
export function reactionEmoji(sourceName: string): string | null {
  const [rawName, toneSpec] = sourceName.trim().replace(/^:|:$/g, '').split('::');
  const name = (rawName ?? '').toLowerCase();
  const unicode = standardEmoji(name);
  if (unicode) {
    const tone = /^skin-tone-([2-6])$/.exec(toneSpec ?? '');
    if (!tone || !TONED.has(unicode)) return unicode;
    return unicode.replace('\uFE0F', '') + String.fromCodePoint(0x1f3fb + Number(tone[1]) - 2);
  }
  return SHORTCODE.test(name) ? `:${name}:` : null;
}
