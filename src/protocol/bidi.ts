/**
 * Bidirectional-text controls in what people write, made harmless where text is shown (issue
 * 26.6). An override (U+202E RIGHT-TO-LEFT OVERRIDE) before "https://evil.example/moc.elgoog.
 * stnuocca//:sptth" makes it read as an accounts.google.com link; embeddings and isolates reorder
 * what follows them as well. Shared by the server (notification excerpts, which mail clients turn
 * into links) and the web client (message text and links), so both apply the same rule.
 */

/** Embeddings and overrides (U+202A-U+202E) and isolates (U+2066-U+2069): each reorders the text after it. */
const CONTROLS = /[\u202a-\u202e\u2066-\u2069]/g;
/** Those and the marks LRM, RLM and ALM (U+200E, U+200F, U+061C), which have no place in a URL. */
const CONTROLS_AND_MARKS = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
const ANY = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;
/** An http(s) URL as the web client links it (message-body.tsx uses the same pattern). */
const URL_TOKEN = /https?:\/\/[^\s<>"']+/giu;

/**
 * Text without its embeddings, overrides and isolates, and without any mark inside an http(s)
 * URL. The marks elsewhere stay: right-to-left writers use them to place punctuation.
 */
export function neutralizeBidi(text: string): string {
  if (!ANY.test(text)) return text;
  return text.replace(CONTROLS, '').replace(URL_TOKEN, (url) => url.replace(CONTROLS_AND_MARKS, ''));
}

/** A link's target or shown text without any bidi control or mark. */
export function stripBidi(text: string): string {
  return ANY.test(text) ? text.replace(CONTROLS_AND_MARKS, '') : text;
}
