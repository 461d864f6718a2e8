/**
 * The composer's Markdown shortcuts as text edits (web/src/components/composer.tsx applies them
 * to the textarea): Ctrl/Cmd+B **bold**, I _italic_, E `code`, K [text](url).
 */

export type FormatKey = 'b' | 'i' | 'e' | 'k';

export interface TextEdit {
  /** The range replaced… */
  from: number;
  to: number;
  /** …by this… */
  insert: string;
  /** …and what is selected afterwards. */
  selectStart: number;
  selectEnd: number;
}

const MARKERS: Record<Exclude<FormatKey, 'k'>, string> = { b: '**', i: '_', e: '`' };

/**
 * The edit a shortcut makes to `value` with [start, end) selected, or null when it leaves the
 * key alone (K with nothing selected: that is search's shortcut). Bold, italic and code wrap the
 * selection, or put the caret between a new pair; a selection already wrapped loses its markers.
 */
export function formatSelection(value: string, start: number, end: number, key: FormatKey): TextEdit | null {
  const selected = value.slice(start, end);
  if (key === 'k') {
    if (start === end) return null;
    if (/^(https?:\/\/|mailto:)\S+$/i.test(selected)) {
      // A URL selected: it is the target, and the text is to be written.
      const insert = `[text](${selected})`;
      return { from: start, to: end, insert, selectStart: start + 1, selectEnd: start + 5 };
    }
    const insert = `[${selected}](url)`;
    const url = start + selected.length + 3;
    return { from: start, to: end, insert, selectStart: url, selectEnd: url + 3 };
  }
  const mark = MARKERS[key];
  const n = mark.length;
  // Already formatted, markers outside the selection (**|bold|**) or in it (|**bold**|): unwrap.
  if (start >= n && value.slice(start - n, start) === mark && value.slice(end, end + n) === mark) {
    return { from: start - n, to: end + n, insert: selected, selectStart: start - n, selectEnd: end - n };
  }
  if (selected.length >= 2 * n && selected.startsWith(mark) && selected.endsWith(mark)) {
    const inner = selected.slice(n, -n);
    return { from: start, to: end, insert: inner, selectStart: start, selectEnd: start + inner.length };
  }
  return { from: start, to: end, insert: `${mark}${selected}${mark}`, selectStart: start + n, selectEnd: end + n };
}
