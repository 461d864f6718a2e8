/**
 * The web client as an installable app (PWA), made at build time: the web app manifest
 * (/manifest.webmanifest), its icons drawn from web/src/favicon.svg (192 and 512 px, and a
 * maskable 512 px one with the mark inside the safe zone), and the service worker's list of the
 * build's files (web/public/sw.js keeps them as the offline shell, in a cache named after the build).
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Plugin } from 'vite';

/** Light and dark backgrounds of the client (web/src/styles/theme.css --bg), for the splash screen and title bar. */
export const PWA_COLORS = { light: '#ffffff', dark: '#16181d', brand: '#3b5bdb' } as const;

export const PWA_ICONS = [
  { src: '/icon-192.png', sizes: '192x192', type: 'image/png', purpose: 'any' },
  { src: '/icon-512.png', sizes: '512x512', type: 'image/png', purpose: 'any' },
  { src: '/icon-maskable-512.png', sizes: '512x512', type: 'image/png', purpose: 'maskable' },
] as const;

/** The manifest (https://www.w3.org/TR/appmanifest/); the name is the product's, the same in every language. */
export function webAppManifest(): Record<string, unknown> {
  return {
    id: '/',
    name: 'Parley',
    short_name: 'Parley',
    description: 'Parley: team chat',
    start_url: '/',
    scope: '/',
    display: 'standalone',
    theme_color: PWA_COLORS.light,
    background_color: PWA_COLORS.light,
    icons: PWA_ICONS,
  };
}

/** The maskable icon: the favicon's mark at 60 % on a full-bleed square (masks cut up to 20 % off each side). */
function maskableSvg(favicon: string): string {
  const mark = /<path\b[^>]*\/>/.exec(favicon)?.[0];
  if (!mark) throw new Error('web/src/favicon.svg has no <path/> to make the maskable icon from');
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><rect width="64" height="64" fill="${PWA_COLORS.brand}"/><g transform="translate(12.8 12.8) scale(0.6)">${mark}</g></svg>`;
}

/** The Vite plugin: emits the manifest and icons, and writes the build's file list into sw.js. */
export function pwaPlugin(webRoot: string): Plugin {
  const faviconPath = path.join(webRoot, 'src', 'favicon.svg');
  return {
    name: 'parley-pwa',
    apply: 'build',
    async generateBundle() {
      // sharp is native: loaded only when a build runs.
      const { default: sharp } = await import('sharp');
      const favicon = await fs.promises.readFile(faviconPath, 'utf8');
      const png = (svg: string, size: number) => sharp(Buffer.from(svg), { density: 72 * (size / 64) }).resize(size, size).png().toBuffer();
      for (const icon of PWA_ICONS) {
        const size = Number(icon.sizes.split('x')[0]);
        const source = await png(icon.purpose === 'maskable' ? maskableSvg(favicon) : favicon, size);
        this.emitFile({ type: 'asset', fileName: icon.src.slice(1), source });
      }
      this.emitFile({ type: 'asset', fileName: 'manifest.webmanifest', source: `${JSON.stringify(webAppManifest(), null, 2)}\n` });
    },
    writeBundle: {
      // After Vite copied web/public (sw.js) into the build.
      order: 'post',
      async handler(options, bundle) {
        const outDir = options.dir;
        if (!outDir) return;
        const assets = Object.keys(bundle)
          .filter((f) => !f.endsWith('.map') && f !== 'index.html' && f !== 'sw.js')
          .sort()
          .map((f) => `/${f}`);
        const version = createHash('sha256').update(assets.join('\n')).digest('hex').slice(0, 16);
        const swPath = path.join(outDir, 'sw.js');
        const sw = await fs.promises.readFile(swPath, 'utf8');
        const placeholder = "const SHELL = { version: 'dev', assets: [] };";
        if (!sw.includes(placeholder)) throw new Error(`web/public/sw.js lost its line ${placeholder}`);
        await fs.promises.writeFile(swPath, sw.replace(placeholder, `const SHELL = ${JSON.stringify({ version, assets })};`));
      },
    },
  };
}
