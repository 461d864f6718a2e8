/**
 * POST /hooks/{key}: incoming webhooks in Slack's format, outside /api/v1 as Slack's and
 * Mattermost's are, so tools written for them work unchanged. The key is the only credential.
 * POST /hooks/commands/{key}: a custom slash command run's response_url, the same way (410
 * expired_url or used_url once its 30 minutes or 5 answers are spent).
 * Answers are Slack's too, plain text: 200 `ok`, or a status with Slack's error code as the body
 * (400 invalid_payload, no_text, msg_too_long; 404 no_service, channel_not_found; 403
 * action_prohibited; 413 payload_too_large; 429 rate_limited with Retry-After; 503).
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { enforce, type RateLimits } from '../core/rate-limiter.js';
import { COMMAND_RESPONSE_PATH, type CustomCommandsService } from '../services/integrations/custom-commands.service.js';
import { INCOMING_HOOK_PATH, SlackRefusal, type IncomingWebhooksService } from '../services/integrations/incoming-webhooks.service.js';

/** A payload's largest size: Slack's own text limit is 40,000 characters, attachments add a little. */
export const INCOMING_HOOK_BODY_LIMIT = 256 * 1024;

function answer(reply: FastifyReply, status: number, body: string, retryAfter?: number): FastifyReply {
  if (retryAfter !== undefined) reply.header('retry-after', String(retryAfter));
  return reply.status(status).header('content-type', 'text/plain; charset=utf-8').send(body);
}

/** A body as Slack takes it: JSON, or a form with the JSON in its `payload` field. */
function parsePayload(contentType: string, raw: string): unknown {
  if (contentType.startsWith('application/x-www-form-urlencoded')) {
    const payload = new URLSearchParams(raw).get('payload');
    if (payload === null) throw new SlackRefusal(400, 'invalid_payload', 'a form body needs a payload field holding the JSON');
    raw = payload;
  }
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    throw new SlackRefusal(400, 'invalid_payload', 'the body is not JSON');
  }
}

export function incomingHooksRoutes(
  service: IncomingWebhooksService,
  commands: Pick<CustomCommandsService, 'respond'>,
  limits: Pick<RateLimits, 'incomingWebhookPosts'>,
) {
  return async (app: FastifyInstance): Promise<void> => {
    // Every body is read as text and parsed here, so a broken one gets Slack's answer.
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'string', bodyLimit: INCOMING_HOOK_BODY_LIMIT }, (_req, body, done) => done(null, body));
    app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, _req, reply) => {
      if (err.statusCode === 413 || err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return answer(reply, 413, 'payload_too_large');
      if (err instanceof SlackRefusal) return answer(reply, err.status, err.code, err.retryAfter);
      reply.log.error({ err }, 'incoming webhook failed');
      return answer(reply, 500, 'internal_error');
    });
    app.post<{ Params: { key: string } }>(
      `${INCOMING_HOOK_PATH}/:key`,
      { schema: { hide: true }, bodyLimit: INCOMING_HOOK_BODY_LIMIT },
      async (req, reply) => {
        const raw = typeof req.body === 'string' ? req.body : '';
        const payload = parsePayload(String(req.headers['content-type'] ?? 'application/json').toLowerCase(), raw);
        await service.post(req.params.key, payload, (hookId) => enforce(limits.incomingWebhookPosts, hookId, 'too many posts to this webhook'));
        return answer(reply, 200, 'ok');
      },
    );
    app.post<{ Params: { key: string } }>(
      `${COMMAND_RESPONSE_PATH}/:key`,
      { schema: { hide: true }, bodyLimit: INCOMING_HOOK_BODY_LIMIT },
      async (req, reply) => {
        const raw = typeof req.body === 'string' ? req.body : '';
        const payload = parsePayload(String(req.headers['content-type'] ?? 'application/json').toLowerCase(), raw);
        // Counted per command with the incoming webhooks' posts (RATE_LIMIT_INCOMING_WEBHOOK_POSTS).
        await commands.respond(req.params.key, payload, (commandId) => enforce(limits.incomingWebhookPosts, `command:${commandId}`, 'too many responses to this command'));
        return answer(reply, 200, 'ok');
      },
    );
  };
}
