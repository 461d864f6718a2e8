/**
 * The server's log files open once it is ready (src/main.ts passes its start as `openFilesAfter`):
 * loading the file rotation is off the start path. Nothing logged before is lost: those lines
 * are kept and written first, in order.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/core/logger.js';
import { waitFor } from '../helpers/kit.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

/** Every line written to the log files of `dir` so far, in order. */
function linesIn(dir: string): { msg: string }[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.log'))
    .sort()
    .flatMap((f) => fs.readFileSync(path.join(dir, f), 'utf8').split('\n').filter(Boolean))
    .map((l) => JSON.parse(l) as { msg: string });
}

describe('log files', () => {
  it('open only once the start is done, with every line logged before it first, in order', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-logs-'));
    dirs.push(dir);
    let ready!: () => void;
    const openFilesAfter = new Promise<void>((resolve) => (ready = resolve));
    const logger = createLogger({ level: 'info', logDir: dir, pretty: false, openFilesAfter });
    // Beside it, a logger whose files open at once (the default, as the CLIs have it).
    const controlDir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-logs-'));
    dirs.push(controlDir);
    const control = createLogger({ level: 'info', logDir: controlDir, pretty: false });
    logger.info('starting 启动中');
    control.info('control');
    logger.info('database ready');
    // Once the control's file has its line, the deferred one still has no file at all.
    await waitFor(() => linesIn(controlDir).length === 1, "the control logger's line in its file", 10_000, 20);
    expect(linesIn(dir)).toEqual([]);

    ready();
    logger.info('Parley is ready');
    await waitFor(() => linesIn(dir).length === 3, 'the three lines in the log file', 10_000, 20);
    // pino's asynchronous destination may still hold the file's newest lines; these are written.
    logger.info('after');
    logger.flush();
    await waitFor(() => linesIn(dir).length === 4, 'the fourth line', 10_000, 20);
    expect(linesIn(dir).map((l) => l.msg)).toEqual(['starting 启动中', 'database ready', 'Parley is ready', 'after']);
  });
});
