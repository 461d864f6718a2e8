/**
 * Incoming webhooks: a group admin makes a secret URL; whatever POSTs Slack's payload to it
 * (CI, monitoring, scripts written for Slack or Mattermost) posts into the group as the hook's own
 * integration user, through the same send as everyone (membership, posting policy, @all policy,
 * rate limits, events, notifications, webhooks out). Each hook has its own user, so its messages
 * say which integration sent them and a revoked hook leaves the group visibly.
 */
import { randomBytes } from 'node:crypto';
import { AppError, badRequest, conflict, notFound } from '../../core/errors.js';
import { cleanDisplayText } from '../../core/display-text.js';
import { isUuid, newId } from '../../core/ids.js';
import type { Db } from '../../db/database.js';
import type { EventRow } from '../../db/repositories/events.repository.js';
import { inTransaction, type Repositories } from '../../db/repositories/index.js';
import type { IncomingWebhookRow } from '../../db/repositories/incoming-webhooks.repository.js';
import { MESSAGE_BODY_MAX } from '../../protocol/limits.js';
import type { IncomingWebhook } from '../../protocol/rest-integrations.js';
import { loadConversation, requireAdmin, requireMember } from '../shared/access.js';
import type { AuditService } from '../identity/audit.service.js';
import type { EventPublisher } from '../shared/events.js';
import { hashToken, type Actor } from '../identity/identity.js';
import { addIntegrationUser, removeIntegrationUser } from './integration-user.js';
import type { MessagesService } from '../messaging/messages.service.js';
import { slackPayloadText, SlackPayloadRefused } from './slack-payload.js';

/** Where a hook's URL points: outside /api/v1, as Slack's and Mattermost's are. */
export const INCOMING_HOOK_PATH = '/hooks';

/** A refusal in Slack's words: the status and the plain-text body Slack's clients read. */
export class SlackRefusal extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly retryAfter?: number,
  ) {
    super(message);
  }
}

const present = (row: IncomingWebhookRow): IncomingWebhook => ({
  id: row.id,
  conversationId: row.conversationId,
  name: row.name,
  userId: row.userId,
  createdBy: row.createdBy,
  createdAt: row.createdAt.toISOString(),
  lastUsedAt: row.lastUsedAt?.toISOString() ?? null,
});

export class IncomingWebhooksService {
  constructor(
    private readonly db: Db,
    private readonly repos: Pick<Repositories, 'conversations' | 'incomingWebhooks' | 'members' | 'messages'>,
    private readonly publisher: EventPublisher,
    private readonly audit: AuditService,
    private readonly messages: Pick<MessagesService, 'send'>,
    /** MAX_INCOMING_WEBHOOKS_PER_GROUP. */
    private readonly maxPerGroup: number,
    /** PUBLIC_URL as configured, for the URL shown when a hook is made ('': unset, a path on this server). */
    private readonly publicUrl: string,
  ) {}

  private async adminOf(actor: Actor, groupId: string) {
    const conv = await loadConversation(this.repos, groupId, 'group');
    requireAdmin(requireMember(conv, await this.repos.members.find(conv.id, actor.user.id)));
    return conv;
  }

  /**
   * A new hook: its integration user (a bot nobody signs in as) joins the group, added by the
   * caller. The URL, with its key, is in this answer only.
   */
  async create(actor: Actor, groupId: string, input: { name: string }): Promise<IncomingWebhook & { url: string }> {
    const conv = await this.adminOf(actor, groupId);
    const name = cleanDisplayText(input.name);
    if (!name) throw badRequest('name must not be blank', { field: 'name' });
    const key = randomBytes(32).toString('base64url');
    const result = await inTransaction<{ hook: IncomingWebhookRow; event: EventRow }>(this.db, async (tx) => {
      const seq = await tx.conversations.takeSeq(conv.id);
      if (seq === null) throw notFound('group');
      // Under the group's lock: two admins at once cannot pass the cap together.
      if ((await tx.incomingWebhooks.countLive(conv.id)) >= this.maxPerGroup) {
        throw conflict(`a group may have at most ${this.maxPerGroup} incoming webhooks`, { max: this.maxPerGroup });
      }
      const { user, event } = await addIntegrationUser(tx, conv.id, seq, { displayName: name, usernamePrefix: 'hook', addedBy: actor.user.id });
      const hook = await tx.incomingWebhooks.insert({ id: newId(), conversationId: conv.id, userId: user.id, name, keyHash: hashToken(key), createdBy: actor.user.id });
      await this.audit.record({ actorId: actor.user.id, action: 'incoming_webhook.created', conversationId: conv.id, targetUserId: user.id, details: { hookId: hook.id, name } }, tx);
      return { hook, event };
    });
    await this.publisher.publish([result.event]);
    return { ...present(result.hook), url: `${this.publicUrl}${INCOMING_HOOK_PATH}/${key}` };
  }

  async list(actor: Actor, groupId: string): Promise<{ webhooks: IncomingWebhook[] }> {
    const conv = await this.adminOf(actor, groupId);
    return { webhooks: (await this.repos.incomingWebhooks.listLive(conv.id, this.maxPerGroup)).map(present) };
  }

  /** Revokes a hook: its URL stops at once, and its integration user leaves the group and is deactivated. */
  async revoke(actor: Actor, groupId: string, hookId: string): Promise<void> {
    const conv = await this.adminOf(actor, groupId);
    const event = await inTransaction<EventRow | null>(this.db, async (tx) => {
      if (!(await tx.conversations.lock(conv.id))) throw notFound('group');
      const hook = isUuid(hookId) ? await tx.incomingWebhooks.findLive(conv.id, hookId) : null;
      if (!hook) throw notFound('webhook');
      await tx.incomingWebhooks.revoke(hook.id);
      await this.audit.record({ actorId: actor.user.id, action: 'incoming_webhook.revoked', conversationId: conv.id, targetUserId: hook.userId, details: { hookId: hook.id, name: hook.name } }, tx);
      // Removed from the group by hand before: the hook is revoked all the same, with no event.
      return removeIntegrationUser(tx, conv.id, hook.userId, actor.user.id);
    });
    if (event) await this.publisher.publish([event]);
  }

  /**
   * A POST to a hook's URL: the payload reduced to one message, sent as the hook's user. Throws
   * SlackRefusal with Slack's status and code for anything refused.
   */
  async post(key: string, payload: unknown, limit: (hookId: string) => Promise<void>): Promise<void> {
    const found = key.length <= 128 ? await this.repos.incomingWebhooks.findLiveWithUser(hashToken(key)) : null;
    if (!found) throw new SlackRefusal(404, 'no_service', 'no incoming webhook has this URL (revoked, or never made)');
    const { hook, user } = found;
    try {
      await limit(hook.id);
    } catch (err) {
      if (err instanceof AppError && err.code === 'rate_limited') {
        const retryAfter = Number((err.details as { retryAfter?: number } | undefined)?.retryAfter ?? 1);
        throw new SlackRefusal(429, 'rate_limited', err.message, retryAfter);
      }
      throw err;
    }
    let body: string;
    try {
      body = slackPayloadText(payload);
    } catch (err) {
      if (err instanceof SlackPayloadRefused) throw new SlackRefusal(400, err.code, err.message);
      throw err;
    }
    if ([...body.trim()].length > MESSAGE_BODY_MAX) throw new SlackRefusal(400, 'msg_too_long', `the message would be longer than ${MESSAGE_BODY_MAX} characters`);
    const actor: Actor = { user, sessionId: `incoming-webhook:${hook.id}`, tokenHash: '' };
    try {
      await this.messages.send(actor, hook.conversationId, { body });
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
      switch (err.code) {
        case 'not_found':
          throw new SlackRefusal(404, 'channel_not_found', "the group is gone, or the hook's user was removed from it");
        case 'posting_restricted':
        case 'mention_all_forbidden':
        case 'muted':
        case 'forbidden':
          throw new SlackRefusal(403, 'action_prohibited', err.message);
        case 'validation_failed':
          throw new SlackRefusal(400, 'invalid_payload', err.message);
        case 'rate_limited':
          throw new SlackRefusal(429, 'rate_limited', err.message, 1);
        case 'unavailable':
          throw new SlackRefusal(503, 'service_unavailable', err.message, 1);
        default:
          throw err;
      }
    }
    void this.repos.incomingWebhooks.touch(hook.id).catch(() => undefined);
  }
}
