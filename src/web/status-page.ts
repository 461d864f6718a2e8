/** The page served at / while the web client is being built, or when it could not be built. */

export type WebClientStatus = 'building' | 'failed' | 'missing';

const TEXT: Record<WebClientStatus, { title: string; body: string; refresh: boolean }> = {
  building: {
    title: 'Parley is getting ready',
    body: 'The web client is being built. This page reloads by itself in a few seconds.',
    refresh: true,
  },
  failed: {
    title: 'The web client is unavailable',
    body: 'The web client could not be built; the server log says why. The API is running: see <a href="/docs">/docs</a>.',
    refresh: false,
  },
  missing: {
    title: 'The web client is not built',
    body: 'Run <code>npm run build</code>, then reload. The API is running: see <a href="/docs">/docs</a>.',
    refresh: false,
  },
};

/** A self-contained HTML page (no scripts) for a 503 at /. */
export function statusPage(status: WebClientStatus): string {
  const t = TEXT[status];
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
${t.refresh ? '<meta http-equiv="refresh" content="3">' : ''}<title>${t.title}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:34rem;margin:15vh auto;padding:0 1rem;color:#1d2129}
@media (prefers-color-scheme:dark){body{background:#16181d;color:#e4e6eb}a{color:#8ab4f8}}</style></head>
<body><h1>${t.title}</h1><p data-testid="web-status" data-status="${status}">${t.body}</p></body></html>
`;
}
