/**
 * `npm start` (and `npm run admin`, `npm run seed`): runs the compiled build in dist/, after
 * building it (scripts/build.ts, once) when it is missing or older than its sources, so a fresh
 * clone and a `git pull` both just work. In production, run `npm run build` once and then
 * `node dist/server/main.js` (what this ends up running, in this same process).
 *
 *   node scripts/start.mjs [main|admin-cli|seed-cli] [arguments...]
 *
 * Plain JavaScript on purpose: deciding that nothing needs building must cost a few milliseconds.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const ENTRIES = ['main', 'admin-cli', 'seed-cli'];
/** What the build is made from (scripts/build.ts lists each part's own). */
const SOURCES = ['src', 'web', 'package.json', 'package-lock.json', 'scripts/build.ts'];
/** One file of each part of the build: all must be there. */
const BUILT = ['dist/server/main.js', 'dist/web/index.html', 'dist/pglite-template/stamp.json'];
/** Written by scripts/build.ts when a whole build has succeeded: its age is the build's. */
const STAMP = 'dist/build-stamp';

function newestMtime(p) {
  let stat;
  try {
    stat = fs.statSync(p);
  } catch {
    return 0;
  }
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const entry of fs.readdirSync(p, { withFileTypes: true })) {
    if (entry.name !== 'node_modules') newest = Math.max(newest, newestMtime(path.join(p, entry.name)));
  }
  return newest;
}

function builtAt() {
  if (!BUILT.every((f) => fs.existsSync(path.join(ROOT, f)))) return 0;
  try {
    return fs.statSync(path.join(ROOT, STAMP)).mtimeMs;
  } catch {
    return 0;
  }
}

// `main` unless the first argument names another entry; the rest are that entry's arguments.
const entry = ENTRIES.includes(process.argv[2]) ? process.argv.splice(2, 1)[0] : 'main';

const built = builtAt();
if (built === 0 || SOURCES.some((s) => newestMtime(path.join(ROOT, s)) > built)) {
  const tsx = path.join(ROOT, 'node_modules', 'tsx');
  if (!fs.existsSync(tsx)) {
    if (built === 0) {
      process.stderr.write('parley: dist/ holds no build and the build tools are not installed: run `npm ci` (with dev dependencies), then `npm run build`\n');
      process.exit(1);
    }
    process.stderr.write('parley: dist/ is older than the sources, but the build tools are not installed (npm ci without --omit=dev); running it as it is\n');
  } else {
    process.stderr.write(built === 0 ? 'parley: building (first start)\n' : 'parley: the sources changed since the last build; building\n');
    const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts', 'build.ts')], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
    if (r.status !== 0) {
      process.stderr.write(`parley: the build failed (exit ${r.status ?? r.signal}); see above\n`);
      process.exit(1);
    }
  }
}

await import(pathToFileURL(path.join(ROOT, 'dist', 'server', `${entry}.js`)).href);
