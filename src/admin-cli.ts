/** `npm run admin -- <command>`: wires the real process into runAdmin (src/cli/admin.ts). */
import { pino } from 'pino';
import { openConfiguredDatabase, runAdmin } from './cli/admin.js';
import { loadConfig } from './core/config.js';

// Warnings and errors only, on stderr: stdout carries the command's output (list-users --json).
const logger = pino({ level: 'warn' }, pino.destination(2));

const code = await runAdmin(
  process.argv.slice(2),
  { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env },
  // The configuration is read only by commands that open the database: `help` works without it.
  { logger, open: () => openConfiguredDatabase(loadConfig(), logger), uploadDir: () => loadConfig().uploadDir, s3: () => loadConfig().s3 },
);
process.exitCode = code;
// Leave as soon as nothing is pending; force it if a handle (a paused terminal) lingers.
setTimeout(() => process.exit(code), 2_000).unref();
