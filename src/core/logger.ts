import fs from 'node:fs';
import path from 'node:path';
import { pino, type Logger, type TransportTargetOptions } from 'pino';
import type { LogLevel } from './config.js';
import { requestContext } from './request-context.js';

export type { Logger };

/**
 * Keys whose values never reach a log line: credentials in headers (Fastify's, and the copies
 * plugins log, such as @fastify/multipart's `busboyOptions.headers` at trace level), passwords,
 * tokens and secrets (webhook secrets, URL signatures) wherever a caller puts them.
 */
const REDACT = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'headers.cookie',
  '*.headers.authorization',
  '*.headers.cookie',
  '*.headers["x-parley-signature"]',
  'password',
  'token',
  'secret',
  'sig',
  '*.password',
  '*.token',
  '*.secret',
  '*.sig',
];

/** Query parameters that are credentials: a signed upload URL's `sig`, a token if one is ever passed, an OpenID Connect callback's `code`. */
const SECRET_QUERY = /([?&](?:sig|token|access_token|code)=)[^&#]*/gi;

/** A URL fit for a log line: the values of credential query parameters replaced. */
export function redactUrl(url: string): string {
  return url.replace(SECRET_QUERY, '$1[redacted]');
}

/** What Fastify logs of a request (its own serializer's fields), the URL without credentials. */
function requestSerializer(req: { method?: string; url?: string; host?: string; ip?: string; socket?: { remotePort?: number } }) {
  return {
    method: req.method,
    url: typeof req.url === 'string' ? redactUrl(req.url) : req.url,
    host: req.host,
    remoteAddress: req.ip,
    remotePort: req.socket?.remotePort,
  };
}

export interface LoggerOptions {
  level: LogLevel;
  /** Folder for rotating log files; null logs to stdout only. */
  logDir: string | null;
  /** Pretty, coloured output on stdout (a terminal); JSON otherwise. */
  pretty?: boolean;
  /** Base name of the log files (each worker process has its own: rotation is per process). */
  fileName?: string;
  /** Fields on every line (e.g. the worker). */
  base?: Record<string, unknown>;
}

/** The one logger: JSON (or pretty in a terminal) on stdout, plus daily-rotated files in logDir. */
export function createLogger(opts: LoggerOptions): Logger {
  if (opts.level === 'silent') return pino({ level: 'silent' });
  const pretty = opts.pretty ?? process.stdout.isTTY === true;
  const targets: TransportTargetOptions[] = [
    pretty
      ? { target: 'pino-pretty', level: opts.level, options: { destination: 1, translateTime: 'SYS:standard' } }
      : { target: 'pino/file', level: opts.level, options: { destination: 1 } },
  ];
  if (opts.logDir) {
    fs.mkdirSync(opts.logDir, { recursive: true });
    targets.push({
      target: 'pino-roll',
      level: opts.level,
      options: {
        file: path.join(opts.logDir, opts.fileName ?? 'parley'),
        extension: '.log',
        frequency: 'daily',
        size: '50m',
        limit: { count: 14 },
        mkdir: true,
        dateFormat: 'yyyy-MM-dd',
      },
    });
  }
  return pino({
    level: opts.level,
    redact: { paths: REDACT, censor: '[redacted]' },
    // Fastify takes the logger's own `req` serializer over its default one.
    serializers: { req: requestSerializer },
    timestamp: pino.stdTimeFunctions.isoTime,
    ...(opts.base ? { base: { pid: process.pid, ...opts.base } } : {}),
    // Service and repository lines of a request (or a socket's frame) carry its id too, not only Fastify's own.
    mixin: () => {
      const context = requestContext.getStore();
      if (!context) return {};
      if (context.reqId) return { reqId: context.reqId };
      return context.connectionId ? { connectionId: context.connectionId } : {};
    },
    transport: { targets },
  });
}
