import { configDefaults, defineConfig } from 'vitest/config';
import { excludedOn } from './tests/db-flavour.ts';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts', 'src/**/*.test.ts'],
    // A file whose result cannot depend on the database runs on one of the two (tests/db-flavour.ts).
    exclude: [...configDefaults.exclude, ...excludedOn(Boolean(process.env.TEST_DATABASE_URL))],
    // `npm test -- tests/unit/x.test.ts` names a file left out on PostgreSQL: not an error there
    // (a name matching nothing still fails the PGlite run before it).
    passWithNoTests: Boolean(process.env.TEST_DATABASE_URL),
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Two cores: each file opens its own database; more workers only thrash.
    maxWorkers: 2,
  },
});
