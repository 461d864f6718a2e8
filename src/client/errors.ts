/** The contract's errors as a client sees them: one ApiError for REST answers, WebSocket error frames and network failures. */

import { CODE_BY_STATUS, ERROR_STATUS } from '../protocol/error-codes.js';

/** HTTP status of each error code the contract names (a WebSocket error frame carries only the code). */
const STATUS_BY_CODE: Readonly<Record<string, number>> = ERROR_STATUS;

/** The generic code of an HTTP status: the contract's where it names one, else `internal` (5xx) or `http_<status>`. */
export function codeForStatus(status: number): string {
  return CODE_BY_STATUS[status] ?? (status >= 500 ? 'internal' : `http_${status}`);
}

/** Codes worth retrying unchanged: the request was refused for now, not for what it is. */
const RETRYABLE_CODES = new Set(['rate_limited', 'internal', 'unavailable', 'network_error', 'timeout']);

/** The code and status of a request that never got an HTTP answer (offline, DNS, CORS, reset). */
export const NETWORK_ERROR = 'network_error';

export interface ApiErrorInit {
  status: number;
  code: string;
  message: string;
  details?: unknown;
  retryAfter?: number;
  cause?: unknown;
}

/**
 * A refused or failed request. `status` is the HTTP status (0 when no answer came: then `code` is
 * `network_error`); `code` is the contract's snake_case code (`username_taken`, `not_found`, ...);
 * `details` is the server's validation detail; `retryAfter` is the `Retry-After` header in seconds.
 */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details?: unknown;
  readonly retryAfter?: number;

  constructor(init: ApiErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = 'ApiError';
    this.status = init.status;
    this.code = init.code;
    if (init.details !== undefined) this.details = init.details;
    if (init.retryAfter !== undefined) this.retryAfter = init.retryAfter;
  }

  /** True when no HTTP answer came (the server was unreachable). */
  get isNetworkError(): boolean {
    return this.code === NETWORK_ERROR;
  }

  /** True when the same request may succeed later (rate limited, unavailable, network failure, 5xx). */
  get retryable(): boolean {
    return RETRYABLE_CODES.has(this.code) || this.status >= 500;
  }

  /** An error frame's `error` object (WebSocket), with the status its code has over HTTP. */
  static fromFrame(error: { code: string; message: string; details?: unknown }): ApiError {
    // A refusal for now carries its back-off as details.retryAfter (seconds), like Retry-After.
    const hint = (error.details as { retryAfter?: unknown } | undefined)?.retryAfter;
    return new ApiError({
      status: STATUS_BY_CODE[error.code] ?? 400,
      code: error.code,
      message: error.message,
      details: error.details,
      ...(typeof hint === 'number' && Number.isFinite(hint) && hint >= 0 ? { retryAfter: hint } : {}),
    });
  }
}

/** True for an error code a client may retry unchanged. */
export function isRetryableCode(code: string): boolean {
  return RETRYABLE_CODES.has(code);
}
