import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, ERROR_STATUS, errorBody } from '../core/errors.js';
import { isDatabaseUnavailable } from '../db/sql.js';
import { CODE_BY_STATUS } from '../protocol/error-codes.js';
import { MAX_VALIDATION_ERRORS, quote } from './validation.js';

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

/**
 * Errors the router raises before any route or hook runs (Fastify's `frameworkErrors`): a path
 * segment over the router's length limit or with broken percent-encoding. Either is a malformed
 * id in a path, which the contract answers with 404, in its error format (found by fuzzing:
 * Fastify's own answers were a 414 and a 400 in its format).
 */
export function frameworkErrors(err: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const appErr =
    err.code === 'FST_ERR_MAX_PARAM_LENGTH' || err.code === 'FST_ERR_BAD_URL'
      ? new AppError('not_found', `no resource at ${request.method} ${request.url.split('?')[0]!.slice(0, 200)}`)
      : toAppError(err);
  if (appErr.status >= 500) request.log.error({ err }, 'request failed');
  void reply.status(appErr.status).send(errorBody(appErr));
}

/** One handler renders every error in the contract's format. */
export function installErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, request, reply) => {
    const appErr = toAppError(err);
    if (appErr.status >= 500) request.log.error({ err }, 'request failed');
    else request.log.debug({ code: appErr.code }, 'request refused');
    if (appErr.headers) void reply.headers(appErr.headers);
    return reply.status(appErr.status).send(errorBody(appErr));
  });
  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send(errorBody(new AppError('not_found', `no route for ${request.method} ${request.url.split('?')[0]}`))),
  );
}

export { ERROR_STATUS };
