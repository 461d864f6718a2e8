import type { FastifyError } from 'fastify';
import { CODE_BY_STATUS, ERROR_STATUS, type ErrorCode } from '../protocol/error-codes.js';

/** Stable error codes of the contract, each with its HTTP status (src/protocol/error-codes.ts). */
export { ERROR_STATUS, type ErrorCode };

/** An error meant for the client: a stable code, an HTTP status and a safe message. */
export class AppError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = 'AppError';
    this.status = ERROR_STATUS[code];
  }
}

export const notFound = (what = 'resource'): AppError => new AppError('not_found', `${what} not found`);
export const forbidden = (message = 'not allowed'): AppError => new AppError('forbidden', message);
export const badRequest = (message: string, details?: unknown): AppError =>
  new AppError('validation_failed', message, details);
export const conflict = (message: string, details?: unknown): AppError => new AppError('conflict', message, details);

/** The wire shape of an error, as the contract defines it. */
export interface ErrorBody {
  error: { code: string; message: string; details?: unknown };
}

export function errorBody(err: AppError): ErrorBody {
  return {
    error: { code: err.code, message: err.message, ...(err.details === undefined ? {} : { details: err.details }) },
  };
}

/**
 * Errors that mean the database cannot be reached or is shutting down, not that the request was
 * wrong: socket errors, postgres.js's connection codes and PostgreSQL's class 08 and 57P0x.
 */
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'CONNECT_TIMEOUT',
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
  '53300', // too_many_connections
]);

/** True when err (or its cause) says the database is unreachable: a 503, not a 500. */
export function isDatabaseUnavailable(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && (UNAVAILABLE_CODES.has(code) || code.startsWith('08'))) return true;
  }
  return false;
}

/**
 * Problems a 400 lists at most: every problem is found (allErrors), but a body of 80,000 unknown
 * keys must not be answered with 80,000 details (issue 26.2: 869 KB in, 10 MB out).
 */
export const MAX_VALIDATION_ERRORS = 10;
/** Longest path, property name or problem text quoted in a 400 (a key can be as long as the body). */
const MAX_QUOTED = 128;

export const quote = (s: string): string => (s.length > MAX_QUOTED ? `${s.slice(0, MAX_QUOTED)}…` : s);

/**
 * What the multipart parser (busboy, under @fastify/multipart) throws, without a code or status,
 * on a body that is not the multipart it claims to be: truncated, without its boundary, or with a
 * boundary it cannot use. Found by fuzzing: each was a 500.
 */
const MULTIPART_SYNTAX =
  /^(Unexpected end of multipart data|\w+ terminated early due to unexpected end of multipart data|Multipart: Boundary not found|Boundary required|Malformed part header|The needle (cannot be an empty|cannot have a length bigger than))/;

/** Maps anything thrown while serving a request to the contract's error. Bad input is never a 500. */
export function toAppError(err: FastifyError | Error): AppError {
  if (err instanceof AppError) return err;
  const fe = err as FastifyError;
  if (fe.validation) {
    // At most MAX_VALIDATION_ERRORS (src/api/validation.ts), each quoted to a bounded length.
    const details = fe.validation.slice(0, MAX_VALIDATION_ERRORS).map((v) => ({
      field: `${fe.validationContext ?? 'body'}${v.instancePath ? quote(v.instancePath.replace(/\//g, '.')) : ''}`,
      problem: quote(v.message ?? 'invalid'),
      ...(v.params && 'additionalProperty' in v.params ? { property: quote(String(v.params.additionalProperty)) } : {}),
    }));
    return new AppError('validation_failed', `invalid ${fe.validationContext ?? 'request'}: ${fe.message}`, details);
  }
  if (!fe.code && MULTIPART_SYNTAX.test(err.message)) return new AppError('validation_failed', 'the multipart body is malformed');
  switch (fe.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new AppError('payload_too_large', 'the request body is too large');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new AppError('unsupported_media_type', 'send JSON with Content-Type: application/json');
    case 'FST_ERR_CTP_INVALID_JSON':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new AppError('validation_failed', 'the body is not valid JSON');
  }
  const status = typeof fe.statusCode === 'number' ? fe.statusCode : 500;
  if (status >= 400 && status < 500) {
    const code = CODE_BY_STATUS[status] ?? 'validation_failed';
    return new AppError(code, fe.message || code.replace(/_/g, ' '));
  }
  if (status === 503) return new AppError('unavailable', 'the service is unavailable; try again');
  // The database is down or restarting: nothing the client did; it may retry shortly.
  if (isDatabaseUnavailable(err)) return new AppError('unavailable', 'the database is unavailable; try again shortly', undefined, { 'retry-after': '2' });
  return new AppError('internal', 'internal error');
}
