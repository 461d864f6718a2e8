/**
 * Migrations stay backward compatible for one release (docs/admin.md, "Upgrading"): from the
 * first migration written under that rule on, none may drop, rename or retype what the previous
 * release reads or writes, nor add a NOT NULL column without a default (the previous release's
 * INSERTs do not name it), nor change a SQL function's signature (the previous release calls it).
 * A statement that is safe anyway (say a column unused for a whole release) says why on the line
 * before it: `-- compat: <reason>`. tests/process/rolling-upgrade.test.ts runs the previous release
 * on this schema for real; this catches the rest early and names the statement.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/process.js';

const DIR = path.join(ROOT, 'src', 'db', 'migrations');
/** The first migration written under the rule. */
const FIRST_CHECKED = 9;

const FORBIDDEN: { pattern: RegExp; why: string }[] = [
  { pattern: /\bDROP\s+(TABLE|COLUMN|TYPE|VIEW|SCHEMA)\b/i, why: 'drops something the previous release may use' },
  { pattern: /\bRENAME\b/i, why: 'renames something the previous release uses by name' },
  { pattern: /\bALTER\s+COLUMN\s+"?\w+"?\s+(SET\s+DATA\s+)?TYPE\b/i, why: 'changes a column type under the previous release' },
  { pattern: /\bALTER\s+COLUMN\s+"?\w+"?\s+SET\s+NOT\s+NULL\b/i, why: "makes a column required that the previous release's writes may leave empty" },
  { pattern: /\bADD\s+COLUMN\s+(?![^;]*\bDEFAULT\b)[^;]*\bNOT\s+NULL\b/i, why: "adds a required column without a default: the previous release's INSERTs fail" },
  { pattern: /\bDROP\s+FUNCTION\b/i, why: 'drops a function the previous release calls' },
  { pattern: /\bDROP\s+CONSTRAINT\b/i, why: 'drops a constraint the previous release may rely on (ON CONFLICT targets)' },
];

interface Statement {
  file: string;
  text: string;
  justified: boolean;
}

function statements(): Statement[] {
  const out: Statement[] = [];
  for (const file of fs.readdirSync(DIR).filter((f) => /^\d{4}_.*\.sql$/.test(f)).sort()) {
    if (Number(file.slice(0, 4)) < FIRST_CHECKED) continue;
    const sql = fs.readFileSync(path.join(DIR, file), 'utf8');
    for (const chunk of sql.split('--> statement-breakpoint')) {
      const lines = chunk.split('\n');
      const justified = lines.some((l) => /^\s*--\s*compat:\s*\S/.test(l));
      const text = lines.filter((l) => !/^\s*--/.test(l)).join('\n').trim();
      if (text) out.push({ file, text, justified });
    }
  }
  return out;
}

/** `CREATE [OR REPLACE] FUNCTION name(args)`: the name and its argument list, normalized. */
function functionSignatures(sql: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of sql.matchAll(/CREATE\s+(?:OR\s+REPLACE\s+)?FUNCTION\s+(\w+)\s*\(([^)]*)\)/gi)) {
    out.set(m[1]!.toLowerCase(), m[2]!.replace(/\s+/g, ' ').trim().toLowerCase());
  }
  return out;
}

describe('migrations are backward compatible for one release', () => {
  it('no unjustified destructive statement from migration 0009 on', () => {
    const offences: string[] = [];
    for (const s of statements()) {
      if (s.justified) continue;
      for (const rule of FORBIDDEN) {
        if (rule.pattern.test(s.text)) offences.push(`${s.file}: ${rule.why}:\n  ${s.text.split('\n')[0]}`);
      }
    }
    expect(offences, offences.join('\n')).toEqual([]);
  });

  it('a SQL function is replaced only with the same arguments (the previous release calls it by them)', () => {
    const seen = new Map<string, { file: string; args: string }>();
    const changed: string[] = [];
    for (const file of fs.readdirSync(DIR).filter((f) => /^\d{4}_.*\.sql$/.test(f)).sort()) {
      for (const [name, args] of functionSignatures(fs.readFileSync(path.join(DIR, file), 'utf8'))) {
        const before = seen.get(name);
        if (before && before.args !== args && Number(file.slice(0, 4)) >= FIRST_CHECKED) {
          changed.push(`${file} changes ${name}(${before.args}) of ${before.file} to ${name}(${args}): add a new function instead`);
        }
        seen.set(name, { file, args });
      }
    }
    expect(changed, changed.join('\n')).toEqual([]);
  });

  it('the rule bites: it finds a drop, a rename, a retype and a required column without default', () => {
    const sample = ['ALTER TABLE "users" DROP COLUMN "email"', 'ALTER TABLE "users" RENAME COLUMN "a" TO "b"', 'ALTER TABLE "users" ALTER COLUMN "a" TYPE integer', 'ALTER TABLE "users" ADD COLUMN "x" text NOT NULL'];
    for (const text of sample) expect(FORBIDDEN.some((r) => r.pattern.test(text)), text).toBe(true);
    for (const text of ['ALTER TABLE "users" ADD COLUMN "x" text DEFAULT \'a\' NOT NULL', 'CREATE INDEX "a_idx" ON "users" ("a")']) {
      expect(FORBIDDEN.some((r) => r.pattern.test(text)), text).toBe(false);
    }
  });
});
