// Before the first paint: the colour theme this browser last showed (web/src/theme.ts keeps it), so
// a reload does not flash the other theme. A classic script so it runs before the page renders.
try {
  var theme = localStorage.getItem('parley.theme');
  if (theme === 'light' || theme === 'dark') document.documentElement.setAttribute('data-theme', theme);
} catch {
  // No storage: the system's theme until the account's choice arrives.
}
