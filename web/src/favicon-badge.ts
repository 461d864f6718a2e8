/**
 * The tab's icon with the unread count drawn on it, beside the count in the title: a pinned or
 * narrow tab shows no title, only its icon. Built from the app's own favicon.svg (one source).
 */
import iconSvg from './favicon.svg?raw';

/** The icon as a data: URL, with a red badge holding `count` (99+ past 99) when there is any. */
export function faviconWithCount(count: number): string {
  let svg = iconSvg.trim();
  if (count > 0) {
    const text = count > 99 ? '99+' : String(count);
    const size = text.length > 2 ? 17 : 24;
    svg = svg.replace(
      /<\/svg>$/,
      `<circle cx="44" cy="20" r="20" fill="#e03131" stroke="#fff" stroke-width="3"/>` +
        `<text x="44" y="21" fill="#fff" font-family="system-ui,sans-serif" font-size="${size}" font-weight="700" text-anchor="middle" dominant-baseline="central">${text}</text></svg>`,
    );
  }
  return `data:image/svg+xml,${encodeURIComponent(svg)}`;
}

/** Puts the count on the page's icon (the <link rel="icon"> of index.html). */
export function showCountOnFavicon(count: number): void {
  const link = document.querySelector<HTMLLinkElement>('link[rel~="icon"]');
  if (!link) return;
  const href = faviconWithCount(count);
  if (link.href !== href) {
    link.type = 'image/svg+xml';
    link.href = href;
  }
  link.dataset.count = String(Math.max(0, count));
}
