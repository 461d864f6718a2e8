/** Plain-text tables for a terminal, aligned even with Chinese (double-width) text. */

/** Wide and fullwidth characters (CJK, Hangul, fullwidth forms, most emoji) take two columns. */
const WIDE =
  /[\u1100-\u115f\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff\ua000-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6\u{1f300}-\u{1f64f}\u{1f900}-\u{1f9ff}\u{20000}-\u{3fffd}]/u;
/** Combining marks and zero-width characters take none. */
const ZERO = /[\p{Mn}\p{Me}\u200b-\u200f\ufe0f]/u;

/** Columns a string takes in a terminal (an approximation of wcwidth). */
export function displayWidth(text: string): number {
  let width = 0;
  for (const ch of text) width += ZERO.test(ch) ? 0 : WIDE.test(ch) ? 2 : 1;
  return width;
}

/** A cell as one line: control characters (a newline in a display name) become spaces. */
const cell = (text: string): string => text.replace(/\p{Cc}/gu, ' ');

/** The header and rows, columns separated by two spaces, each line ending in a newline. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const all = [header, ...rows].map((r) => r.map(cell));
  const widths = header.map((_, i) => Math.max(...all.map((r) => displayWidth(r[i] ?? ''))));
  return all
    .map((r) => r.map((c, i) => (i === r.length - 1 ? c : c + ' '.repeat(widths[i]! - displayWidth(c)))).join('  ').trimEnd() + '\n')
    .join('');
}
