import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterEach, expect, it } from 'vitest';
import { acquireDirLock, DirLockedError } from '../../src/db/dir-lock.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-lock-'));
  dirs.push(d);
  return d;
}

it('refuses a folder held by a live process', () => {
  const dir = tempDir();
  // The test runner's parent is alive for the whole test.
  fs.writeFileSync(path.join(dir, 'parley.lock'), JSON.stringify({ pid: process.ppid, host: os.hostname() }));
  expect(() => acquireDirLock(dir)).toThrow(DirLockedError);
});

it('takes over a lock left by a dead process, and releases it', () => {
  const dir = tempDir();
  const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
  fs.writeFileSync(path.join(dir, 'parley.lock'), JSON.stringify({ pid: Number(dead), host: os.hostname() }));
  const lock = acquireDirLock(dir);
  expect(JSON.parse(fs.readFileSync(path.join(dir, 'parley.lock'), 'utf8')).pid).toBe(process.pid);
  lock.release();
  expect(fs.existsSync(path.join(dir, 'parley.lock'))).toBe(false);
});

it('takes over a half-written lock file', () => {
  const dir = tempDir();
  fs.writeFileSync(path.join(dir, 'parley.lock'), '{"pid":');
  acquireDirLock(dir).release();
});
