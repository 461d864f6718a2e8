import { ERROR_STATUS, type ErrorCode } from '../protocol/error-codes.js';

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
