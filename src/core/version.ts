import { readFileSync } from 'node:fs';

/**
 * This server's release (package.json's version), sent in `ready` and GET /healthz so clients and
 * operators can tell which nodes run what during a rolling upgrade.
 */
export const SERVER_VERSION: string = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;
