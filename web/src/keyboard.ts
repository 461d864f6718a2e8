/** Helpers of the client's keyboard shortcuts (issue 21). */

/** Is the key meant for a field being typed in (an input, a text area, an editable element)? */
export function typingIn(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable) return true;
  if (target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement) return true;
  if (target instanceof HTMLInputElement) return !['button', 'checkbox', 'radio', 'submit', 'reset', 'file', 'range', 'color'].includes(target.type);
  return false;
}

/** Is a modal dialog open (its own keys come first)? */
export function dialogOpen(): boolean {
  return document.querySelector('dialog[open]') !== null;
}

/**
 * How well `query` matches `name` as a fuzzy subsequence (case-insensitive): null when it does not;
 * higher is better (a prefix, then matches at word starts, then runs of consecutive letters).
 */
export function fuzzyScore(query: string, name: string): number | null {
  const q = query.trim().toLocaleLowerCase();
  const n = name.toLocaleLowerCase();
  if (!q) return 0;
  if (n.startsWith(q)) return 1000 - n.length;
  if (n.includes(q)) return 500 - n.indexOf(q);
  let score = 0;
  let at = 0;
  let previous = -2;
  for (const ch of q) {
    const found = n.indexOf(ch, at);
    if (found < 0) return null;
    if (found === previous + 1) score += 5;
    if (found === 0 || /[\s\-_.@]/.test(n[found - 1] ?? '')) score += 10;
    score -= found - at;
    previous = found;
    at = found + ch.length;
  }
  return score;
}
