/**
 * The colour theme (issue 21): 'system' follows the device (web/src/styles/theme.css's prefers-color-scheme),
 * 'light' and 'dark' override it through data-theme on <html>. The account keeps the choice
 * (users.theme); this browser remembers the last one so /theme-boot.js applies it before the first
 * paint of a reload (no flash of the other theme while the session is asked).
 */
import type { Theme } from '../../src/client/index.js';

export const THEMES: readonly Theme[] = ['system', 'light', 'dark'];
/** The localStorage key /theme-boot.js reads (keep the two in step). */
const STORAGE_KEY = 'parley.theme';

export function isTheme(value: unknown): value is Theme {
  return value === 'system' || value === 'light' || value === 'dark';
}

/** The theme shown now. */
export function currentTheme(): Theme {
  const set = document.documentElement.dataset.theme;
  return isTheme(set) ? set : 'system';
}

/** Shows `theme` and remembers it for the next load of this browser. */
export function applyTheme(theme: Theme): void {
  if (theme === 'system') delete document.documentElement.dataset.theme;
  else document.documentElement.dataset.theme = theme;
  try {
    localStorage.setItem(STORAGE_KEY, theme);
  } catch {
    // Storage refused (private mode, quota): the account's choice still applies once the session answers.
  }
}
