/**
 * The standard emoji's short names (`:thumbsup:`), as Slack, Mattermost and GitHub write them:
 * the picker's search, the import's reaction names, and the names a custom emoji may not take.
 * Kept small on purpose (the common ones); a name not listed here is free for a custom emoji.
 */
export const STANDARD_EMOJI: Readonly<Record<string, string>> = {
  '+1': '👍', thumbsup: '👍', '-1': '👎', thumbsdown: '👎', heart: '❤️', heart_eyes: '😍', smile: '😄',
  smiley: '😃', grinning: '😀', grin: '😁', joy: '😂', rofl: '🤣', laughing: '😆', satisfied: '😆', sweat_smile: '😅',
  slightly_smiling_face: '🙂', wink: '😉', blush: '😊', thinking_face: '🤔', thinking: '🤔', sob: '😭', cry: '😢',
  open_mouth: '😮', scream: '😱', rage: '😡', tada: '🎉', eyes: '👀', fire: '🔥', rocket: '🚀', pray: '🙏',
  ok_hand: '👌', clap: '👏', wave: '👋', muscle: '💪', raised_hands: '🙌', point_up: '☝️', '100': '💯',
  white_check_mark: '✅', heavy_check_mark: '✔️', x: '❌', warning: '⚠️', star: '⭐', sparkles: '✨', bulb: '💡',
  coffee: '☕', beers: '🍻', beer: '🍺', cake: '🍰', party_popper: '🎉', star_struck: '🤩', upside_down_face: '🙃',
  facepalm: '🤦', shrug: '🤷', see_no_evil: '🙈', skull: '💀', bug: '🐛', memo: '📝', pushpin: '📌', zap: '⚡',
  sunglasses: '😎', partying_face: '🥳', sleeping: '😴', exploding_head: '🤯', handshake: '🤝', birthday: '🎂',
  question: '❓', heavy_plus_sign: '➕', ok: '🆗', smirk: '😏', neutral_face: '😐', confused: '😕',
  disappointed: '😞', worried: '😟', angry: '😠', innocent: '😇', hugs: '🤗', hugging_face: '🤗', nerd_face: '🤓',
  zany_face: '🤪', money_mouth_face: '🤑', clown_face: '🤡', ghost: '👻', alien: '👽', robot: '🤖', poop: '💩',
  hankey: '💩', broken_heart: '💔', orange_heart: '🧡', yellow_heart: '💛', green_heart: '💚', blue_heart: '💙',
  purple_heart: '💜', black_heart: '🖤', sparkling_heart: '💖', boom: '💥', collision: '💥', dizzy: '💫',
  sweat_drops: '💦', speech_balloon: '💬', thought_balloon: '💭', zzz: '💤', v: '✌️', crossed_fingers: '🤞',
  metal: '🤘', call_me_hand: '🤙', point_left: '👈', point_right: '👉', point_down: '👇', fist: '✊',
  facepunch: '👊', punch: '👊', writing_hand: '✍️', brain: '🧠', dog: '🐶', cat: '🐱', unicorn: '🦄', bee: '🐝',
  tulip: '🌷', rose: '🌹', sunflower: '🌻', seedling: '🌱', evergreen_tree: '🌲', palm_tree: '🌴', sun: '☀️',
  sunny: '☀️', cloud: '☁️', rainbow: '🌈', snowflake: '❄️', umbrella: '☂️', pizza: '🍕', hamburger: '🍔',
  taco: '🌮', popcorn: '🍿', doughnut: '🍩', cookie: '🍪', tea: '🍵', wine_glass: '🍷', champagne: '🍾',
  trophy: '🏆', medal: '🏅', soccer: '⚽', basketball: '🏀', dart: '🎯', video_game: '🎮', musical_note: '🎵',
  gift: '🎁', balloon: '🎈', confetti_ball: '🎊', bell: '🔔', lock: '🔒', key: '🔑', hammer: '🔨', wrench: '🔧',
  gear: '⚙️', link: '🔗', paperclip: '📎', calendar: '📅', chart_with_upwards_trend: '📈', email: '📧',
  phone: '📱', computer: '💻', keyboard: '⌨️', hourglass: '⌛', alarm_clock: '⏰', stopwatch: '⏱️', mag: '🔍',
  book: '📖', books: '📚', pencil2: '✏️', money_with_wings: '💸', moneybag: '💰', ship: '🚢', car: '🚗',
  airplane: '✈️', house: '🏠', earth_americas: '🌎', globe_with_meridians: '🌐', no_entry: '⛔',
  no_entry_sign: '🚫', heavy_exclamation_mark: '❗', exclamation: '❗', grey_question: '❔', arrow_up: '⬆️',
  arrow_down: '⬇️', arrow_left: '⬅️', arrow_right: '➡️', recycle: '♻️', white_circle: '⚪', red_circle: '🔴',
  large_blue_circle: '🔵', checkered_flag: '🏁', triangular_flag_on_post: '🚩', new: '🆕', cool: '🆒', sos: '🆘',
  free: '🆓', up: '🆙',
};

/** A custom emoji's name: what goes between the colons. */
export const CUSTOM_EMOJI_NAME = /^[a-z0-9_+-]{1,64}$/;

/** The Unicode emoji of a standard short name (`thumbsup` → 👍), or undefined. */
export function standardEmoji(name: string): string | undefined {
  return Object.hasOwn(STANDARD_EMOJI, name) ? STANDARD_EMOJI[name] : undefined;
}

/** `:name:` → `name`; null for anything else (a Unicode emoji). */
export function shortcodeName(emoji: string): string | null {
  const m = /^:([a-z0-9_+-]{1,64}):$/.exec(emoji);
  return m ? m[1]! : null;
}
