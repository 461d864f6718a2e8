/**
 * The lists of tests/db-flavour.ts stay true: a file run on one database only must not depend on
 * which one. SAME_ON_BOTH files name none of what picks the run's database (dbKind,
 * TEST_DATABASE_URL, startTestApp, startTestServer, a server process...) and import no helper
 * that does; PGLITE_ONLY and POSTGRES_ONLY files have only suites that run on that database.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ISOLATED, PGLITE_ONLY, POSTGRES_ONLY, SAME_ON_BOTH } from '../db-flavour.js';
import { ROOT } from '../helpers/process.js';

const read = (file: string) => fs.readFileSync(path.join(ROOT, file), 'utf8');

/** What makes a file use the run's database: the switch itself, or what starts an app or a server on it. */
const FLAVOURED = /\b(dbKind|TEST_DATABASE_URL|startTestApp|startTestServer|createTestPostgresDatabase|startServer|processFixture|CrashableServer|createServices)\b/;
/** Helpers that start apps or servers on the run's database. */
const FLAVOURED_HELPERS = /from '\.\.\/helpers\/(ws|storm|chaos|authz|browser|chat-client)\.js'/;

/** The lines that open a suite or a test at the top level of a file. */
function topLevelSuites(text: string): string[] {
  return text.split('\n').filter((l) => /^(describe|it|test)\b/.test(l));
}

describe('tests/db-flavour.ts', () => {
  it('names existing test files, each in one list at most', () => {
    const all = [...SAME_ON_BOTH, ...PGLITE_ONLY, ...POSTGRES_ONLY];
    expect(new Set(all).size).toBe(all.length);
    for (const f of all) expect(fs.existsSync(path.join(ROOT, f)), f).toBe(true);
  });

  it('SAME_ON_BOTH: files that never use the database the run was given', () => {
    // This file names those words to look for them.
    for (const f of SAME_ON_BOTH.filter((name) => name !== 'tests/unit/db-flavour.test.ts')) {
      const text = read(f).replace(/^\s*(\/\/|\*|\/\*\*).*$/gm, '');
      expect(FLAVOURED.exec(text)?.[0], f).toBeUndefined();
      expect(FLAVOURED_HELPERS.exec(text)?.[0], f).toBeUndefined();
    }
  });

  it('PGLITE_ONLY and POSTGRES_ONLY: every suite runs on that database only', () => {
    for (const f of PGLITE_ONLY) {
      const suites = topLevelSuites(read(f));
      expect(suites.length, f).toBeGreaterThan(0);
      for (const s of suites) expect(s, f).toMatch(/^describe\.runIf\(dbKind === 'pglite'\)/);
    }
    for (const f of POSTGRES_ONLY) {
      const suites = topLevelSuites(read(f));
      expect(suites.length, f).toBeGreaterThan(0);
      for (const s of suites) expect(s, f).toMatch(/^describe\.runIf\((dbKind === 'postgres'|PG)\)/);
    }
  });

  it('ISOLATED: exactly the files that replace a module, which a shared module graph would leak', () => {
    const files = ['tests', 'src'].flatMap((dir) =>
      (fs.readdirSync(path.join(ROOT, dir), { recursive: true }) as string[]).filter((f) => f.endsWith('.test.ts')).map((f) => path.join(dir, f)),
    );
    // The pattern is split so that this file does not match it.
    const mocks = new RegExp('\\bvi\\.' + '(mock|doMock|unmock|resetModules)\\(');
    const replacing = files.filter((f) => mocks.test(read(f))).sort();
    expect(replacing).toEqual([...ISOLATED].sort());
  });
});
