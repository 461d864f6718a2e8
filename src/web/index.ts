/**
 * The web client as the real process serves it: dist/web. The compiled server (npm start) serves
 * the build made with it (scripts/build.ts); run from the sources (the dev loop, the tests), the
 * server rebuilds it with Vite when older than its sources.
 */
import type { Logger } from '../core/logger.js';
import { FROM_SOURCE, WEB_DIST, WEB_SOURCES } from './paths.js';
import type { WebClientOptions } from './plugin.js';

export { webClient, type WebClientOptions } from './plugin.js';

/** Options for the real process: serve dist/web, built first when missing or stale if run from the sources. */
export function defaultWebClient(): WebClientOptions {
  return FROM_SOURCE ? webClientWithBuild() : { distDir: WEB_DIST };
}

/** dist/web, rebuilt with Vite (in this process) when missing or older than its sources. */
export function webClientWithBuild(): WebClientOptions & { build: NonNullable<WebClientOptions['build']> } {
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
