/** A short, human label for a User-Agent ("Chrome on Linux"), for the sessions list. No dependency: a few patterns. */

/** Longest User-Agent kept with a session. */
export const USER_AGENT_MAX = 512;

const BROWSERS: [RegExp, string][] = [
  [/\bEdg(?:e|A|iOS)?\//, 'Edge'],
  [/\bOPR\/|\bOpera\b/, 'Opera'],
  [/\bSamsungBrowser\//, 'Samsung Internet'],
  [/\bFirefox\/|\bFxiOS\//, 'Firefox'],
  [/\bElectron\//, 'Desktop app'],
  // HeadlessChrome too.
  [/Chrom(?:e|ium)\/|\bCriOS\//, 'Chrome'],
  [/\bVersion\/[\d.]+.*\bSafari\//, 'Safari'],
];

const SYSTEMS: [RegExp, string][] = [
  [/\bAndroid\b/, 'Android'],
  [/\biPhone\b|\biPod\b/, 'iPhone'],
  [/\biPad\b/, 'iPad'],
  [/\bCrOS\b/, 'ChromeOS'],
  [/\bWindows\b/, 'Windows'],
  [/\bMac OS X\b|\bMacintosh\b/, 'macOS'],
  [/\bLinux\b|\bX11\b/, 'Linux'],
];

/** Programs that talk to the API directly rather than a browser. */
const CLIENTS: [RegExp, string][] = [
  [/^parley[-\s/]/i, 'Parley API client'],
  [/^node\b|\bundici\b|^node-fetch\b|^axios\//i, 'Parley API client'],
  [/^curl\//i, 'curl'],
  [/^python-requests\/|^python-urllib|^aiohttp\//i, 'Python script'],
  [/^Go-http-client\//, 'Go program'],
  [/^lightMyRequest$/, 'Test client'],
];

/** "Chrome on Linux", "Firefox on Windows", "Parley API client", or "Unknown device". */
export function deviceLabel(userAgent: string | null | undefined): string {
  const ua = (userAgent ?? '').trim();
  if (!ua) return 'Unknown device';
  for (const [re, name] of CLIENTS) if (re.test(ua)) return name;
  const browser = BROWSERS.find(([re]) => re.test(ua))?.[1];
  const system = SYSTEMS.find(([re]) => re.test(ua))?.[1];
  if (browser && system) return `${browser} on ${system}`;
  if (browser) return browser;
  if (system) return `Browser on ${system}`;
  return 'Unknown device';
}

/** A User-Agent as stored: trimmed to USER_AGENT_MAX characters, without control characters; null when absent. */
export function cleanUserAgent(value: string | string[] | undefined): string | null {
  const raw = Array.isArray(value) ? value[0] : value;
  const clean = (raw ?? '').replace(/[\u0000-\u001f\u007f]/g, '').trim().slice(0, USER_AGENT_MAX);
  return clean || null;
}
