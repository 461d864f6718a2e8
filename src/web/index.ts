/** The web client as `npm start` serves it: dist/web, rebuilt with Vite when older than its sources. */
import type { Logger } from '../core/logger.js';
import { WEB_DIST, WEB_SOURCES } from './paths.js';
import type { WebClientOptions } from './plugin.js';

export { webClient, type WebClientOptions } from './plugin.js';

/** Options for the real process: serve dist/web and build it first when missing or stale. */
export function defaultWebClient(): WebClientOptions {
  return {
    distDir: WEB_DIST,
    build: {
      sources: WEB_SOURCES,
      run: async (outDir: string, logger: Logger) => {
        const { viteBuild } = await import('./vite-build.js');
        await viteBuild(outDir, logger);
      },
    },
  };
}
