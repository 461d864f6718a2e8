/**
 * schema-compile: what compiling every route's schemas costs one server (src/api/lazy-schemas.ts
 * compiles each on its route's first use; this compiles them all at once): CPU, and the heap the
 * compiled validators and serializers hold. Run from the root of the checkout to measure, so the
 * same file measures an older commit's worktree as the baseline:
 *
 *   node --expose-gc --import tsx bench/schema-compile.ts
 *   (cd ../a-worktree-of-the-baseline && node --expose-gc --import tsx /path/to/bench/schema-compile.ts)
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const root = process.cwd();
const load = (file: string) => import(pathToFileURL(path.join(root, file)).href);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');

const { buildApp } = await load('src/app.ts');
const { openDatabase } = await load('src/db/database.ts');
const { parseConfig } = await load('src/core/config.ts');
const { createLogger } = await load('src/core/logger.ts');
const uploads = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-schema-bench-'));
const logger = createLogger({ level: 'silent', logDir: null });
const database = await openDatabase({ kind: 'memory' }, logger);
const app = await buildApp({ config: parseConfig({ LOG_LEVEL: 'silent', UPLOAD_DIR: uploads }), database, logger, searchBackfill: { startDelayMs: null } });
await app.ready();
gc();
gc();
const heap0 = process.memoryUsage().heapUsed;
const schemas = app.schemas.uncompiled as number;
const cpu0 = process.cpuUsage();
const t0 = performance.now();
app.schemas.compileAll();
const ms = performance.now() - t0;
const cpu = process.cpuUsage(cpu0);
gc();
gc();
const heapMiB = (process.memoryUsage().heapUsed - heap0) / 1048576;
console.log(JSON.stringify({ checkout: root, schemas, compileAllMs: Math.round(ms), cpuMs: Math.round((cpu.user + cpu.system) / 1000), heldMiB: +heapMiB.toFixed(1) }));
await app.close();
await database.close();
fs.rmSync(uploads, { recursive: true, force: true });
