/** The in-process Vite build; imported lazily, so a start with an up-to-date build never loads Vite. */
import type { Logger } from '../core/logger.js';

/** Builds the web client into `outDir`, with Vite's output going to the app logger. */
export async function viteBuild(outDir: string, logger: Logger): Promise<void> {
  const [{ build }, { webViteConfig }] = await Promise.all([import('vite'), import('./vite.config.js')]);
  const config = webViteConfig();
  const log = logger.child({ component: 'vite' });
  const warned = new Set<string>();
  let errorLogged = false;
  let hasWarned = false;
  await build({
    ...config,
    configFile: false,
    // Always the production bundle: tests run with NODE_ENV=test, which would make React's
    // development build (twice the size, with dev-only warnings) and serve it as up to date.
    mode: 'production',
    define: { ...config.define, 'process.env.NODE_ENV': '"production"' },
    logLevel: 'warn',
    customLogger: {
      info: (msg) => log.debug(msg),
      warn: (msg) => {
        hasWarned = true;
        log.warn(msg);
      },
      warnOnce: (msg) => {
        if (warned.has(msg)) return;
        warned.add(msg);
        hasWarned = true;
        log.warn(msg);
      },
      error: (msg, opts) => {
        errorLogged = true;
        log.error({ err: opts?.error }, msg);
      },
      clearScreen: () => {},
      hasErrorLogged: () => errorLogged,
      get hasWarned() {
        return hasWarned;
      },
    },
    build: { ...config.build, outDir, emptyOutDir: true },
  });
}
