import { configDefaults, defineConfig, type TestProjectInlineConfiguration } from 'vitest/config';
import { ISOLATED, excludedOn } from './tests/db-flavour.ts';

/**
 * Which databases this run covers. `npx vitest run` alone: embedded PGlite. Under
 * scripts/with-postgres.sh (TEST_DATABASE_URL set): PostgreSQL, so
 * `bash scripts/with-postgres.sh npx vitest run FILE` runs FILE there. `npm test` sets
 * TEST_BOTH_DATABASES=1 as well and gets both at once, in one run: the files that wait (browsers,
 * servers started and killed) then fill the time the CPU-bound ones leave.
 */
const postgresUrl = process.env.TEST_DATABASE_URL ?? '';
const databases: ('pglite' | 'postgres')[] = !postgresUrl ? ['pglite'] : process.env.TEST_BOTH_DATABASES === '1' ? ['pglite', 'postgres'] : ['postgres'];

const INCLUDE = ['tests/**/*.test.ts', 'src/**/*.test.ts'];

/**
 * Two projects per database. Most files share their worker's modules with the files that worker ran
 * before (isolate: false): importing the app costs about a second a file, and the JIT stays warm.
 * Each test starts its own app, database and servers, so nothing else carries over. The files in
 * ISOLATED replace a module (vi.mock) and get a fresh module graph each.
 */
function projects(db: 'pglite' | 'postgres'): TestProjectInlineConfiguration[] {
  // A file whose result cannot depend on the database runs on one of the two (tests/db-flavour.ts).
  const exclude = [...configDefaults.exclude, ...excludedOn(db === 'postgres')];
  // dbKind (tests/helpers/app.ts) reads this in the worker: empty means PGlite.
  const env = { TEST_DATABASE_URL: db === 'postgres' ? postgresUrl : '' };
  return [
    { extends: true, test: { name: db, include: INCLUDE, exclude: [...exclude, ...ISOLATED], env, isolate: false } },
    { extends: true, test: { name: `${db}-isolated`, include: [...ISOLATED], exclude, env, isolate: true } },
  ];
}

export default defineConfig({
  test: {
    projects: databases.flatMap(projects),
    // `npm test -- tests/unit/x.test.ts` names a file left out on PostgreSQL: not an error there
    // (a name matching nothing still fails the PGlite run).
    passWithNoTests: databases.length === 1 && databases[0] === 'postgres',
    // Before every file: passwords hashed at argon2's least cost in the tests' processes (tests/setup.ts).
    setupFiles: ['tests/setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Three workers on two cores: the files that wait on browsers, servers and timers leave a core
    // idle with two (9 min 01 s against 10 min 29 s for the whole suite when this was measured;
    // 10 min 58 s with two on 2026-12-04). The one timing test that three once upset (a reader in
    // fits, tests/ws/delivery.test.ts) now runs on a server of its own with a 5 s stall.
    maxWorkers: 3,
  },
});
