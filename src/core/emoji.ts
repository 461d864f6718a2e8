/** What Parley takes as an emoji (reactions, statuses): a Unicode emoji sequence or a `:short_name:`. */

// The v flag (Node 20 has it) knows emoji sequences: ZWJ families, skin tones, flags.
const RGI_EMOJI = new RegExp("^\\p{RGI_Emoji}$", "v");
/** A single pictograph, with or without its emoji variation selector (❤ and ❤️ alike). */
const PICTOGRAPH = /^\p{Extended_Pictographic}\uFE0F?$/u;
const SHORTCODE = /^:[a-z0-9_+-]{1,32}:$/;

/** An emoji is a Unicode emoji sequence or a `:short_name:`; anything else is a 400. */
export function validEmoji(emoji: string): boolean {
  return emoji.length <= 64 && (RGI_EMOJI.test(emoji) || PICTOGRAPH.test(emoji) || SHORTCODE.test(emoji));
}
