/** Where the web client's sources and build live, relative to the repository. */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** The web client's own sources (index.html, src/). */
export const WEB_ROOT = path.join(REPO_ROOT, 'web');
/** The built client that the server serves. */
export const WEB_DIST = path.join(REPO_ROOT, 'dist', 'web');
/** The compiled server (scripts/build.ts). */
export const SERVER_DIST = path.join(REPO_ROOT, 'dist', 'server');
/**
 * True when this process runs the TypeScript sources (tsx: the tests and the dev loop), false in
 * the compiled build, which serves the dist/web made with it and never loads Vite.
 */
export const FROM_SOURCE = import.meta.url.endsWith('.ts');
/** Everything the bundle is made from: a change in any of these makes the build stale. */
export const WEB_SOURCES = [
  WEB_ROOT,
  path.join(REPO_ROOT, 'src', 'client'),
  path.join(REPO_ROOT, 'src', 'protocol'),
  // The Vite configuration and its plugins (the manifest and icons, the compressed copies).
  ...['vite.config.ts', 'pwa-plugin.ts', 'precompress-plugin.ts'].map((f) => path.join(REPO_ROOT, 'src', 'web', f)),
];
