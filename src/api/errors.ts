import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, ERROR_STATUS, errorBody, toAppError } from '../core/errors.js';

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
