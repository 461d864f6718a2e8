/**
 * Custom slash commands, Slack's outgoing kind: a group admin registers `/deploy` with a URL;
 * running it POSTs Slack's form there (signed, through the webhooks' SSRF guard, 3 s at most) and
 * the integration's answer goes to the caller alone or, `in_channel`, into the group as the
 * command's own integration user. Each run hands the integration a response_url that takes 5
 * more answers within 30 minutes (Slack's rule). Site-wide commands are not offered: a command
 * belongs to one group and is managed by that group's admins.
 */
import { randomBytes } from 'node:crypto';
import { AppError, badRequest, conflict, notFound } from '../../core/errors.js';
import { cleanDisplayText } from '../../core/display-text.js';
import { isUuid, newId } from '../../core/ids.js';
import type { Logger } from '../../core/logger.js';
import type { Db } from '../../db/database.js';
import type { ConversationRow } from '../../db/repositories/conversations.repository.js';
import type { EventRow } from '../../db/repositories/events.repository.js';
import { inTransaction, type Repositories } from '../../db/repositories/index.js';
import type { SlashCommandRow } from '../../db/repositories/slash-commands.repository.js';
import type { UserRow } from '../../db/repositories/users.repository.js';
import { MESSAGE_BODY_MAX } from '../../protocol/limits.js';
import type { Message } from '../../protocol/entities.js';
import { SLASH_COMMAND_TRIGGER, type CommandResult, type SlashCommand } from '../../protocol/rest-integrations.js';
import { loadConversation, requireAdmin, requireMember } from '../shared/access.js';
import type { AuditService } from '../identity/audit.service.js';
import { callCommand, readReplyPayload, type CommandReply } from './custom-command-call.js';
import type { EventPublisher } from '../shared/events.js';
import { hashToken, type Actor } from '../identity/identity.js';
import { addIntegrationUser, removeIntegrationUser } from './integration-user.js';
import { SlackRefusal } from './incoming-webhooks.service.js';
import type { MessagesService } from '../messaging/messages.service.js';
import { SlackPayloadRefused } from './slack-payload.js';
import { parseWebhookUrl, resolveWebhookTarget, WebhookTargetError } from './webhook-guard.js';

/** Where a run's response_url points: outside /api/v1, beside the incoming webhooks. */
export const COMMAND_RESPONSE_PATH = '/hooks/commands';
/** Slack's rule for a response_url: 5 uses within 30 minutes of the run. */
export const RESPONSE_URL_MAX_USES = 5;
export const RESPONSE_URL_TTL_MS = 30 * 60_000;
/** Expired runs are forgotten a day after (their URLs answer 410 until then, 404 after). */
const FORGET_AFTER_MS = 24 * 3_600_000;
/** Each node sweeps them at most this often, at a run. */
const SWEEP_INTERVAL_MS = 60_000;

export interface CustomCommandsOptions {
  /** MAX_SLASH_COMMANDS_PER_GROUP. */
  maxPerGroup: number;
  /** WEBHOOK_ALLOW_PRIVATE: commands may call loopback and private addresses. */
  allowPrivate: boolean;
  /** Where the integration reaches this server (PUBLIC_URL, else http://HOST:PORT), for response_url. */
  publicUrl: string;
  /** How long a run waits for the integration (Slack's 3 s; tests shorten it). */
  timeoutMs?: number;
}


const present = (row: SlashCommandRow): SlashCommand => ({
  id: row.id,
  conversationId: row.conversationId,
  trigger: row.trigger,
  url: row.url,
  description: row.description,
  usage: row.usage,
  userId: row.userId,
  createdBy: row.createdBy,
  createdAt: row.createdAt.toISOString(),
});

const TRIGGER = new RegExp(SLASH_COMMAND_TRIGGER);

export class CustomCommandsService {
  /** When this node last swept expired runs. */
  private sweptAt = 0;

  constructor(
    private readonly db: Db,
    private readonly repos: Pick<Repositories, 'conversations' | 'members' | 'messages' | 'slashCommands' | 'users'>,
    private readonly publisher: EventPublisher,
    private readonly audit: AuditService,
    private readonly messages: Pick<MessagesService, 'send'>,
    private readonly logger: Logger,
    /** The built-in commands' names: a custom one may not take them. */
    private readonly reserved: readonly string[],
    private readonly options: CustomCommandsOptions,
  ) {}

  private async adminOf(actor: Actor, groupId: string): Promise<ConversationRow> {
    const conv = await loadConversation(this.repos, groupId, 'group');
    requireAdmin(requireMember(conv, await this.repos.members.find(conv.id, actor.user.id)));
    return conv;
  }

  /**
   * Registers a command: its URL is checked as a webhook's is, its integration user joins the
   * group, and its signing secret is in this answer only.
   */
  async create(
    actor: Actor,
    groupId: string,
    input: { trigger: string; url: string; description?: string; usage?: string },
  ): Promise<SlashCommand & { signingSecret: string }> {
    const conv = await this.adminOf(actor, groupId);
    const trigger = input.trigger.trim().replace(/^\//, '').toLowerCase();
    if (!TRIGGER.test(trigger)) throw badRequest('trigger must be 1-32 of a-z, 0-9, _ and -', { field: 'trigger' });
    if (this.reserved.includes(trigger)) throw badRequest(`/${trigger} is a built-in command`, { field: 'trigger' });
    let url: URL;
    try {
      url = parseWebhookUrl(input.url);
      await resolveWebhookTarget(url, this.options.allowPrivate);
    } catch (err) {
      if (err instanceof WebhookTargetError) {
        this.logger.debug({ conversationId: conv.id, ...err.detail }, `command url refused: ${err.message}`);
        throw badRequest(err.message, { field: 'url' });
      }
      throw err;
    }
    const description = cleanDisplayText(input.description ?? '');
    const usage = cleanDisplayText(input.usage ?? '');
    const secret = randomBytes(32).toString('hex');
    const max = this.options.maxPerGroup;
    const result = await inTransaction<{ row: SlashCommandRow; event: EventRow }>(this.db, async (tx) => {
      const seq = await tx.conversations.takeSeq(conv.id);
      if (seq === null) throw notFound('group');
      // Under the group's lock: two admins at once pass neither the cap nor the trigger's uniqueness together.
      if ((await tx.slashCommands.count(conv.id)) >= max) throw conflict(`a group may have at most ${max} custom commands; delete one first`, { max });
      if (await tx.slashCommands.findByTrigger(conv.id, trigger)) throw conflict(`/${trigger} already exists in this group`, { field: 'trigger' });
      const { user, event } = await addIntegrationUser(tx, conv.id, seq, { displayName: `/${trigger}`, usernamePrefix: 'cmd', addedBy: actor.user.id });
      const row = await tx.slashCommands.insert({ id: newId(), conversationId: conv.id, userId: user.id, trigger, url: url.href, description, usage, secret, createdBy: actor.user.id });
      // Only the origin: a command URL's path or query often carries the receiver's own token.
      const details = { commandId: row.id, trigger, target: url.origin };
      await this.audit.record({ actorId: actor.user.id, action: 'slash_command.created', conversationId: conv.id, targetUserId: user.id, details }, tx);
      return { row, event };
    });
    await this.publisher.publish([result.event]);
    return { ...present(result.row), signingSecret: secret };
  }

  /** A group's commands (without their secrets). Group admins. */
  async list(actor: Actor, groupId: string): Promise<{ commands: SlashCommand[] }> {
    const conv = await this.adminOf(actor, groupId);
    return { commands: (await this.repos.slashCommands.list(conv.id, this.options.maxPerGroup)).map(present) };
  }

  /** Deletes a command: it stops at once, its response URLs with it; its integration user leaves the group. */
  async delete(actor: Actor, groupId: string, commandId: string): Promise<void> {
    const conv = await this.adminOf(actor, groupId);
    const event = await inTransaction<EventRow | null>(this.db, async (tx) => {
      if (!(await tx.conversations.lock(conv.id))) throw notFound('group');
      const row = isUuid(commandId) ? await tx.slashCommands.delete(conv.id, commandId) : null;
      if (!row) throw notFound('command');
      await this.audit.record(
        { actorId: actor.user.id, action: 'slash_command.deleted', conversationId: conv.id, targetUserId: row.userId, details: { commandId: row.id, trigger: row.trigger } },
        tx,
      );
      return removeIntegrationUser(tx, conv.id, row.userId, actor.user.id);
    });
    if (event) await this.publisher.publish([event]);
  }

  /** The group's commands as the composer suggests them (the caller's membership checked by the caller). */
  async suggestions(conversationId: string): Promise<{ name: string; usage: string; description: string }[]> {
    const rows = await this.repos.slashCommands.list(conversationId, this.options.maxPerGroup);
    return rows.map((r) => ({ name: r.trigger, usage: r.usage ? `/${r.trigger} ${r.usage}` : `/${r.trigger}`, description: r.description || `Runs ${new URL(r.url).host}` }));
  }

  /** The group's command by its trigger, or null (the caller falls back to its own refusal). */
  find(conversationId: string, trigger: string): Promise<SlashCommandRow | null> {
    return this.repos.slashCommands.findByTrigger(conversationId, trigger);
  }

  /**
   * Runs a command for a member of its group: the integration is called and its answer handed
   * on. Whatever the integration does (no answer, an error, a refused address) the caller gets a
   * line saying so, never an error.
   */
  async run(actor: Actor, conv: ConversationRow, command: SlashCommandRow, text: string): Promise<CommandResult> {
    const key = randomBytes(32).toString('base64url');
    const invocationId = newId();
    const now = Date.now();
    await this.repos.slashCommands.insertInvocation({
      id: invocationId,
      commandId: command.id,
      userId: actor.user.id,
      keyHash: hashToken(key),
      expiresAt: new Date(now + RESPONSE_URL_TTL_MS),
    });
    if (now - this.sweptAt > SWEEP_INTERVAL_MS) {
      this.sweptAt = now;
      void this.repos.slashCommands.sweepExpired(new Date(now - FORGET_AFTER_MS)).catch((err: unknown) => this.logger.warn({ err }, 'sweeping expired command runs failed'));
    }
    const form = {
      team_id: 'parley',
      team_domain: new URL(this.options.publicUrl || 'http://localhost').hostname,
      channel_id: conv.id,
      channel_name: conv.name ?? '',
      user_id: actor.user.id,
      user_name: actor.user.username,
      command: `/${command.trigger}`,
      text,
      api_app_id: command.id,
      response_url: `${this.options.publicUrl}${COMMAND_RESPONSE_PATH}/${key}`,
      trigger_id: invocationId,
    };
    const reply = await callCommand({ url: command.url, secret: command.secret, form, allowPrivate: this.options.allowPrivate, timeoutMs: this.options.timeoutMs });
    return this.deliver(command, conv.id, reply);
  }

  /** Hands an answer on: into the group as the command's user, or as a line for the caller. */
  private async deliver(command: SlashCommandRow, conversationId: string, reply: CommandReply): Promise<CommandResult> {
    const say = (text: string): CommandResult => ({ message: null, response: { text } });
    switch (reply.kind) {
      case 'none':
        return { message: null, response: null };
      case 'failed':
        this.logger.info({ commandId: command.id, conversationId, reason: reply.reason, ...reply.detail }, 'custom command failed');
        return say(`/${command.trigger} failed: ${reply.reason}.`);
      case 'ephemeral':
        return say(truncate(reply.text));
      case 'in_channel': {
        try {
          return { message: await this.postAsCommand(command, conversationId, reply.text), response: null };
        } catch (err) {
          if (!(err instanceof AppError) || err.status >= 500) throw err;
          return say(`/${command.trigger} answered, but its reply could not be posted: ${err.message}`);
        }
      }
    }
  }

  /** Posts into the group as the command's integration user, through the same send as everyone. */
  private async postAsCommand(command: SlashCommandRow, conversationId: string, text: string, bot?: UserRow): Promise<Message> {
    if ([...text.trim()].length > MESSAGE_BODY_MAX) throw badRequest(`the reply is longer than ${MESSAGE_BODY_MAX} characters`);
    const user = bot ?? (await this.repos.users.findById(command.userId));
    if (!user || user.deactivatedAt) throw notFound('command');
    const actor: Actor = { user, sessionId: `slash-command:${command.id}`, tokenHash: '' };
    return (await this.messages.send(actor, conversationId, { body: text })).message;
  }

  /**
   * A POST to a run's response_url: 5 within 30 minutes of the run. An in-channel answer posts
   * into the group; any other goes to the caller's own connections. Throws SlackRefusal with
   * Slack's status and code for anything refused.
   */
  async respond(key: string, payload: unknown, limit: (commandId: string) => Promise<void>): Promise<void> {
    const keyHash = key.length <= 128 ? hashToken(key) : null;
    const found = keyHash ? await this.repos.slashCommands.findInvocation(keyHash) : null;
    if (!found || !keyHash) throw new SlackRefusal(404, 'no_service', 'no command run has this response_url');
    if (found.expiresAt.getTime() <= Date.now()) throw new SlackRefusal(410, 'expired_url', 'this response_url expired 30 minutes after its command ran');
    if (found.uses >= RESPONSE_URL_MAX_USES) throw new SlackRefusal(410, 'used_url', `this response_url took its ${RESPONSE_URL_MAX_USES} responses already`);
    try {
      await limit(found.commandId);
    } catch (err) {
      if (err instanceof AppError && err.code === 'rate_limited') {
        throw new SlackRefusal(429, 'rate_limited', err.message, Number((err.details as { retryAfter?: number } | undefined)?.retryAfter ?? 1));
      }
      throw err;
    }
    let reply: { kind: 'ephemeral' | 'in_channel'; text: string };
    try {
      reply = readReplyPayload(payload);
    } catch (err) {
      if (err instanceof SlackPayloadRefused) throw new SlackRefusal(400, err.code, err.message);
      throw err;
    }
    // Spent in one statement: two posts at once cannot both take the last use.
    const spent = await this.repos.slashCommands.spend(keyHash, RESPONSE_URL_MAX_USES);
    if (!spent) throw new SlackRefusal(410, 'used_url', 'this response_url expired or took its responses already');
    const { invocation, command, bot } = spent;
    if (reply.kind === 'in_channel') {
      try {
        await this.postAsCommand(command, command.conversationId, reply.text, bot);
      } catch (err) {
        if (!(err instanceof AppError) || err.status >= 500) throw err;
        if (err.code === 'rate_limited') throw new SlackRefusal(429, 'rate_limited', err.message, 1);
        if (err.code === 'validation_failed') throw new SlackRefusal(400, 'invalid_payload', err.message);
        if (err.code === 'not_found') throw new SlackRefusal(404, 'channel_not_found', "the group is gone, or the command's user was removed from it");
        throw new SlackRefusal(403, 'action_prohibited', err.message);
      }
      return;
    }
    // The caller alone, and only while still a member (a reply must not reach someone who left).
    if (!(await this.repos.members.find(command.conversationId, invocation.userId))) return;
    const text = truncate(reply.text);
    this.publisher.ephemeral({ type: 'command.response', conversationId: command.conversationId, command: `/${command.trigger}`, text }, [invocation.userId]);
  }
}

/** A line for the caller, at most a message's length. */
function truncate(text: string): string {
  const chars = [...text];
  return chars.length > MESSAGE_BODY_MAX ? `${chars.slice(0, MESSAGE_BODY_MAX - 1).join('')}…` : text;
}
