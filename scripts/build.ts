/**
 * `npm run build`: everything production runs, in dist/:
 * - dist/server: the server compiled to plain JavaScript (esbuild; `node dist/server/main.js`,
 *   `dist/server/admin-cli.js`, `dist/server/seed-cli.js`), with the SQL migrations beside it;
 * - dist/web: the web client's static files (Vite);
 * - dist/pglite-template: an empty embedded database with every migration applied, as a folder
 *   (a fresh DATA_DIR is a copy of it instead of initdb and the migrations at first start) and a
 *   tarball (the tests' in-memory databases load it).
 * Each part is rebuilt only when older than its sources (`--force` rebuilds all), into a folder
 * beside it that is swapped in whole (src/web/build.ts), so a server never starts half a build.
 * `npm start` (scripts/start.mjs) runs this first when anything is missing or stale; dist/build-stamp
 * says when a whole build last succeeded.
 */
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { build as esbuild, type Plugin } from 'esbuild';
import ts from 'typescript';
import { createLogger } from '../src/core/logger.js';
import { buildPgliteTemplate, MIGRATIONS_DIR, PGLITE_TEMPLATE_DIR, PGLITE_TEMPLATE_MARKER } from '../src/db/pglite-setup.js';
import { ensureWebBuild } from '../src/web/build.js';
import { webClientWithBuild } from '../src/web/index.js';
import { REPO_ROOT, SERVER_DIST, WEB_DIST } from '../src/web/paths.js';

const force = process.argv.includes('--force');
const logger = createLogger({ level: 'info', logDir: null });

/** What the compiled server is made from: a change in any of these makes dist/server stale. */
const SERVER_SOURCES = ['src', 'package.json', 'package-lock.json', 'scripts/build.ts'].map((p) => path.join(REPO_ROOT, p));

/** Dependencies loaded from node_modules at run time rather than bundled (see compileServer). */
const RUNTIME_EXTERNAL = [
  '@electric-sql/pglite', // its .wasm and .data files, found next to it
  'sharp', // native
  '@node-rs/argon2', // native
  'koffi', // native (src/core/memory-trim.ts)
  'pino', // loads its own parts by name
  'pino-pretty', // a terminal's output only (src/core/logger.ts)
  '@fastify/swagger-ui', // serves its own static files
  'vite', // the dev loop's in-process build only
  '@vitejs/plugin-react',
];

/**
 * pino-roll (the log files' daily rotation, bundled) takes five functions from date-fns with
 * `const { format, ... } = require('date-fns')`: date-fns's CommonJS index, which loads all of its
 * ~300 modules. Here pino-roll's require gets a module exporting only the names it takes, from
 * date-fns's ES modules, which the bundle trims to what they use (84 of them). Importing it in a
 * process of its own, then a full collection: heap used +2.45 MiB and 174-187 ms of CPU from
 * node_modules, +0.74 MiB and 27-33 ms as bundled (2026-12-06); every server pays it once it opens
 * its log files. The names are read from pino-roll's source: when a version takes them otherwise, the
 * build stops (and says so) rather than bundle all of date-fns unnoticed.
 */
const dateFnsForPinoRoll: Plugin = {
  name: 'date-fns-for-pino-roll',
  setup(build) {
    build.onResolve({ filter: /^date-fns$/ }, (args) => {
      if (!args.importer.includes(`${path.sep}node_modules${path.sep}pino-roll${path.sep}`)) return undefined;
      const source = fs.readFileSync(args.importer, 'utf8');
      const requires = source.match(/require\(\s*['"]date-fns['"]\s*\)/g)?.length ?? 0;
      const destructured = [...source.matchAll(/const\s*\{([^}]*)\}\s*=\s*require\(\s*['"]date-fns['"]\s*\)/g)];
      const names = [...new Set(destructured.flatMap((m) => m[1]!.split(',').map((n) => n.trim())).filter((n) => n !== ''))];
      if (requires === 0 || destructured.length !== requires || names.length === 0 || !names.every((n) => /^[A-Za-z_$][\w$]*$/.test(n))) {
        return { errors: [{ text: `${args.importer} no longer takes date-fns only as \`const { ... } = require('date-fns')\`: update dateFnsForPinoRoll in scripts/build.ts` }] };
      }
      // Resolved from pino-roll's folder: its own date-fns if npm nested one there.
      return { path: names.join(','), namespace: 'date-fns-for-pino-roll', pluginData: { resolveDir: path.dirname(args.importer) } };
    });
    build.onLoad({ filter: /.*/, namespace: 'date-fns-for-pino-roll' }, (args) => ({
      contents: args.path
        .split(',')
        .map((n) => `export { ${n} } from 'date-fns/${n}';`)
        .join('\n'),
      resolveDir: (args.pluginData as { resolveDir: string }).resolveDir,
      loader: 'js',
    }));
  },
};

async function compileServer(outDir: string): Promise<void> {
  await esbuild({
    entryPoints: { main: 'src/main.ts', 'admin-cli': 'src/admin-cli.ts', 'seed-cli': 'src/seed-cli.ts' },
    absWorkingDir: REPO_ROOT,
    outdir: outDir,
    bundle: true,
    // Dynamic imports (Redis, Vite, sharp's loader) stay separate chunks, loaded only when used.
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20.19',
    // Plain JavaScript dependencies are bundled in: loading ~1,000 small files from node_modules
    // took a third of a start. What finds its own files at run time (WebAssembly, native
    // addons, worker threads, static assets) or is only for building stays in node_modules.
    external: RUNTIME_EXTERNAL,
    plugins: [dateFnsForPinoRoll],
    // Bundled CommonJS modules call require() for Node's own modules.
    banner: { js: "import { createRequire as __parleyCreateRequire } from 'node:module'; const require = __parleyCreateRequire(import.meta.url);" },
    // Readable stack traces and profiles: names kept, nothing minified. Maps for debugging
    // (NODE_OPTIONS=--enable-source-maps).
    keepNames: true,
    sourcemap: 'linked',
    logLevel: 'warning',
    // Every module lands in dist/server itself: paths made from import.meta.url ('../..' to the
    // repository, './migrations') mean the same from src/<dir>/ and from dist/server/.
    chunkNames: '[name]-[hash]',
  });
  asciiOnly(outDir);
  // The migrations are read at run time from beside the code (src/db/database.ts's MIGRATIONS_DIR).
  fs.cpSync(MIGRATIONS_DIR, path.join(outDir, 'migrations'), { recursive: true });
}

const NON_ASCII = /[^\x00-\x7f]/;

/**
 * Writes each bundled file in ASCII. esbuild escapes strings but keeps other characters as they
 * are in comments and regular expressions; one character past Latin-1 (a `…` in a comment, the
 * Chinese punctuation of the link regex) makes V8 hold the whole file's source as a two-byte
 * string for the life of the process: 2.4 MB instead of 1.2 for the main chunk. Outside template
 * literals a \uXXXX escape means the same as the character (in a comment it is only text); a
 * template literal is left as it is, since a tag may read its raw text.
 */
function asciiOnly(outDir: string): void {
  for (const name of fs.readdirSync(outDir)) {
    if (!name.endsWith('.js')) continue;
    const file = path.join(outDir, name);
    const text = fs.readFileSync(file, 'utf8');
    if (!NON_ASCII.test(text)) continue;
    const templates: [number, number][] = [];
    const source = ts.createSourceFile(name, text, ts.ScriptTarget.Latest, false, ts.ScriptKind.JS);
    const visit = (node: ts.Node): void => {
      if (ts.isTemplateLiteral(node)) templates.push([node.getStart(source), node.end]);
      else ts.forEachChild(node, visit);
    };
    visit(source);
    let out = '';
    let kept = 0;
    let t = 0;
    for (let i = 0; i < text.length; i++) {
      const code = text.charCodeAt(i);
      if (code < 0x80) {
        out += text[i];
        continue;
      }
      while (t < templates.length && templates[t]![1] <= i) t++;
      if (t < templates.length && templates[t]![0] <= i) {
        out += text[i];
        kept++;
      } else {
        out += `\\u${code.toString(16).padStart(4, '0')}`;
      }
    }
    fs.writeFileSync(file, out);
    if (kept > 0) logger.warn({ file: name, characters: kept }, 'non-ASCII characters kept in template literals: V8 holds this file as a two-byte string');
  }
}

async function main(): Promise<void> {
  const t0 = performance.now();
  const sources = force ? [] : SERVER_SOURCES;
  if (force) fs.rmSync(SERVER_DIST, { recursive: true, force: true });
  const builtServer = await ensureWebBuild(SERVER_DIST, { sources, run: (out) => compileServer(out), marker: 'main.js' }, logger);
  logger.info({ ms: Math.round(performance.now() - t0), rebuilt: builtServer }, 'server: dist/server');

  const t1 = performance.now();
  if (force) fs.rmSync(WEB_DIST, { recursive: true, force: true });
  const builtWeb = await ensureWebBuild(WEB_DIST, webClientWithBuild().build, logger);
  logger.info({ ms: Math.round(performance.now() - t1), rebuilt: builtWeb }, 'web client: dist/web');

  const t2 = performance.now();
  if (force) fs.rmSync(PGLITE_TEMPLATE_DIR, { recursive: true, force: true });
  const builtTemplate = await ensureWebBuild(
    PGLITE_TEMPLATE_DIR,
    {
      sources: force ? [] : [MIGRATIONS_DIR, path.join(REPO_ROOT, 'package-lock.json'), path.join(REPO_ROOT, 'src', 'db', 'pglite-setup.ts')],
      run: (out) => buildPgliteTemplate(out),
      marker: PGLITE_TEMPLATE_MARKER,
    },
    logger,
  );
  logger.info({ ms: Math.round(performance.now() - t2), rebuilt: builtTemplate }, 'empty database: dist/pglite-template');
  // The whole build is as new as this (scripts/start.mjs compares the sources with it).
  fs.writeFileSync(path.join(REPO_ROOT, 'dist', 'build-stamp'), `${new Date().toISOString()}\n`);
  logger.flush();
}

main().catch((err: unknown) => {
  process.stderr.write(`parley build: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
