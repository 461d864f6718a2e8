import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pino, type DestinationStream, type Logger, type StreamEntry } from 'pino';
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
  /**
   * The log files are opened once this settles (the lines before it are kept and written first):
   * the server passes its start, so loading the file rotation (pino-roll and date-fns, ~30 ms bundled)
   * waits until it is ready. Default: at once.
   */
  openFilesAfter?: Promise<unknown>;
}

/**
 * A daily-rotated file (pino-roll) that takes lines at once: pino-roll opens its file
 * asynchronously (once `after` settles), and the lines logged meanwhile are kept and written first.
 */
class RollingFile implements DestinationStream {
  private target: (DestinationStream & { flushSync(): void; end(): void }) | null = null;
  private pending: string[] | null = [];

  constructor(options: Record<string, unknown>, after: Promise<unknown>) {
    const open = (): Promise<typeof import('pino-roll')> => import('pino-roll');
    after
      .then(open, open)
      .then(({ default: roll }) => roll(options))
      .then(
        (stream) => {
          this.target = stream;
          for (const line of this.pending ?? []) stream.write(line);
          this.pending = null;
          // Lines still buffered when the process exits are written before it does.
          process.once('exit', () => {
            try {
              stream.flushSync();
            } catch {
              // a write in progress: nothing more can be done at exit
            }
          });
        },
        (err: unknown) => {
          this.pending = null;
          process.stderr.write(`parley: cannot write log files to ${String(options.file)}: ${(err as Error).message}\n`);
        },
      );
  }

  write(line: string): void {
    if (this.target) this.target.write(line);
    else this.pending?.push(line);
  }
}

const requireHere = createRequire(import.meta.url);

/**
 * The one logger: JSON (or pretty in a terminal) on stdout, plus daily-rotated files in logDir.
 * Lines are written from this thread with buffered, asynchronous writes (flushed at exit), not
 * through a transport's worker thread: that thread held about 18 MiB, 7 % of an idle server.
 */
export function createLogger(opts: LoggerOptions): Logger {
  if (opts.level === 'silent') return pino({ level: 'silent' });
  const pretty = opts.pretty ?? process.stdout.isTTY === true;
  const streams: StreamEntry[] = [
    {
      level: opts.level,
      stream: pretty
        ? (requireHere('pino-pretty') as typeof import('pino-pretty'))({ destination: 1, translateTime: 'SYS:standard' })
        : pino.destination({ dest: 1, sync: false }),
    },
  ];
  if (opts.logDir) {
    fs.mkdirSync(opts.logDir, { recursive: true });
    streams.push({
      level: opts.level,
      stream: new RollingFile({
        file: path.join(opts.logDir, opts.fileName ?? 'parley'),
        extension: '.log',
        frequency: 'daily',
        size: '50m',
        limit: { count: 14 },
        mkdir: true,
        dateFormat: 'yyyy-MM-dd',
      }, opts.openFilesAfter ?? Promise.resolve()),
    });
  }
  return pino(
    {
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
    },
    pino.multistream(streams),
  );
}
