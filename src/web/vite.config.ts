/**
 * Vite configuration of the web client: used by `npm run build:web`, `npm run dev:web` and the
 * server's in-process build (src/web/vite-build.ts). Sources in web/, output in dist/web.
 */
import react from '@vitejs/plugin-react';
import { defineConfig, type UserConfig } from 'vite';
import { WEB_DIST, WEB_ROOT } from './paths.js';

/** The dev server proxies these to a running `npm start` (PORT 3000 unless PARLEY_API says otherwise). */
const API_PATHS = ['/api', '/healthz', '/readyz', '/docs', '/openapi.json'];

/** The configuration; `outDir` is overridden by the server's build, which writes beside dist/web first. */
export function webViteConfig(): UserConfig {
  // Build tooling, not the server: the dev proxy's target may be moved with PARLEY_API.
  const target = process.env.PARLEY_API ?? 'http://127.0.0.1:3000';
  return {
    root: WEB_ROOT,
    base: '/',
    plugins: [react()],
    publicDir: false,
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
