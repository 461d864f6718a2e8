/**
 * One rule for text people give to be shown as a label (display names, group names, file names):
 * Unicode NFC, without the characters that let a label pass for another one. Removed: C0 and C1
 * controls (BEL, NUL, line breaks), bidirectional overrides, embeddings, isolates and marks
 * (which make "invoice\u202Efdp.exe" look like "invoiceexe.pdf" or reorder a name), and invisible
 * characters (zero-width space, word joiner, BOM, soft hyphen, Hangul fillers, invisible
 * operators, the Mongolian vowel separator, the combining grapheme joiner). Kept: the zero-width
 * joiner and non-joiner, which emoji sequences (👨‍👩‍👧) and Persian and Indic words need.
 * Runs of whitespace become one space, and the ends are trimmed.
 */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\u206a-\u206f\u3164\ufeff\uffa0]/g;

/** `raw` as a label: NFC, unsafe characters removed, whitespace collapsed and trimmed. */
export function cleanDisplayText(raw: string): string {
  return raw.normalize('NFC').replace(UNSAFE, '').replace(/\s+/gu, ' ').trim();
}
