/**
 * Vite configuration of the web client: used by `npm run build`, `npm run dev:web` and the
 * server's in-process build (src/web/vite-build.ts). Sources in web/, output in dist/web.
 */
import react from '@vitejs/plugin-react';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { defineConfig, type UserConfig } from 'vite';
import { WEB_DIST, WEB_ROOT } from './paths.js';
import { precompressPlugin } from './precompress-plugin.js';
import { pwaPlugin } from './pwa-plugin.js';

/** The dev server proxies these to a running `npm start` (PORT 3000 unless PARLEY_API says otherwise). */
const API_PATHS = ['/api', '/healthz', '/readyz', '/docs', '/openapi.json', '/asyncapi.json'];

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/** The configuration; `outDir` is overridden by the server's build, which writes beside dist/web first. */
export function webViteConfig(): UserConfig {
  // Build tooling, not the server: the dev proxy's target may be moved with PARLEY_API.
  const target = process.env.PARLEY_API ?? 'http://127.0.0.1:3000';
  return {
    root: WEB_ROOT,
    base: '/',
    plugins: [react(), pwaPlugin(WEB_ROOT), precompressPlugin()],
    // The release, so the client can tell a newer server (rolling upgrades) and offer a reload.
    define: { __PARLEY_VERSION__: JSON.stringify(packageVersion()) },
    // web/public: copied as is to the root of the build (sw.js, the service worker, must be served from /).
    publicDir: path.join(WEB_ROOT, 'public'),
    clearScreen: false,
    build: {
      outDir: WEB_DIST,
      emptyOutDir: true,
      target: 'es2022',
      sourcemap: true,
      assetsDir: 'assets',
      // Inline assets would need data: in more CSP directives than img-src; keep them as files.
      assetsInlineLimit: 0,
    },
    server: {
      port: 5173,
      strictPort: false,
      proxy: Object.fromEntries(API_PATHS.map((p) => [p, { target, changeOrigin: false, ws: p === '/api' }])),
    },
  };
}

export default defineConfig(webViteConfig());
