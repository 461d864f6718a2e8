/** What Parley takes as an emoji (reactions, statuses): a Unicode emoji sequence or a `:short_name:`. */

// The v flag (Node 20 has it) knows emoji sequences: ZWJ families, skin tones, flags.
const RGI_EMOJI = new RegExp("^\\p{RGI_Emoji}$", "v");
/** A single pictograph, with or without its emoji variation selector (❤ and ❤️ alike). */
const PICTOGRAPH = /^\p{Extended_Pictographic}\uFE0F?$/u;
/** A standard short name or a custom emoji's name (up to 64 characters) between colons. */
const SHORTCODE = /^:[a-z0-9_+-]{1,64}:$/;

/**
 * An emoji is a Unicode emoji sequence or a `:short_name:`; anything else is a 400. Whether a
 * short name exists (a standard one or a custom emoji) is the caller's question.
 */
export function validEmoji(emoji: string): boolean {
  return SHORTCODE.test(emoji) || (emoji.length <= 64 && (RGI_EMOJI.test(emoji) || PICTOGRAPH.test(emoji)));
}
