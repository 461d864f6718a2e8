import { cleanDisplayText } from '../../core/display-text.js';
import { AppError, badRequest, conflict, forbidden, notFound } from '../../core/errors.js';
import { DEFAULT_CAPS } from '../../core/config.js';
import { isUuid, newId } from '../../core/ids.js';
import { sameUsername } from '../../core/username.js';
import type { Db } from '../../db/database.js';
import { inTransaction, type Repositories } from '../../db/repositories/index.js';
import type { SessionRow } from '../../db/repositories/sessions.repository.js';
import type { UserRow } from '../../db/repositories/users.repository.js';
import type { ApiToken, User } from '../../protocol/entities.js';
import { hashToken, type Actor } from './identity.js';
import type { AuditService } from './audit.service.js';
import type { EventPublisher } from '../shared/events.js';
import { isReservedUsername } from '../messaging/mention-all.js';
import { presentUser, type UserView } from '../shared/presenters.js';
import { DEFAULT_TOKEN_SCOPES, TOKEN_SCOPES, type TokenScope } from '../../protocol/token-scopes.js';
import { newToken } from './identity.js';

/** What a new token asks for: its name, lifetime and scopes (default: read and write). */
export interface TokenRequest {
  name: string;
  expiresInDays?: number;
  scopes?: readonly TokenScope[];
}

/**
 * The scopes a new token gets, and the token that creates it (null for a login session). A login
 * session may grant any scope; a token may create tokens only with the `tokens` scope, and only
 * with scopes it has itself, so a leaked token cannot mint a stronger one. `read` is every token's.
 */
function grant(actor: Actor, asked: readonly TokenScope[] | undefined): { scopes: TokenScope[]; createdBy: string | null } {
  const scopes = [...new Set<TokenScope>(['read', ...(asked ?? DEFAULT_TOKEN_SCOPES)])];
  if (actor.session?.kind !== 'api') return { scopes, createdBy: null };
  const own = new Set(actor.session.scopes ?? []);
  if (!own.has('tokens')) throw new AppError('forbidden', 'this API token may not create tokens or bots (it lacks the "tokens" scope)', { requiredScope: 'tokens' });
  const beyond = scopes.filter((x) => !own.has(x));
  if (beyond.length) throw new AppError('forbidden', `a token cannot grant scopes it lacks: ${beyond.join(', ')}`, { scopes: beyond });
  return { scopes, createdBy: actor.sessionId };
}

/** API tokens one account may hold. */
export const MAX_API_TOKENS = 50;


const presentToken = (row: SessionRow): ApiToken => ({
  id: row.id,
  name: row.name ?? '',
  scopes: (row.scopes ?? []).filter((x): x is TokenScope => (TOKEN_SCOPES as readonly string[]).includes(x)),
  createdAt: row.createdAt.toISOString(),
  lastUsedAt: row.lastUsedAt.toISOString(),
  ...(row.expiresAt ? { expiresAt: row.expiresAt.toISOString() } : {}),
});

function cleanName(name: string, what: string): string {
  const clean = cleanDisplayText(name);
  if (!clean) throw badRequest(`${what} must not be blank`);
  return clean;
}

/** Long-lived API tokens (for bots and scripts), and bot accounts owned by people. */
export class TokensService {
  constructor(
    private readonly db: Db,
    private readonly repos: Pick<Repositories, 'sessions' | 'users'>,
    private readonly publisher: EventPublisher,
    private readonly audit: AuditService,
    private readonly presence: UserView,
    /** ADMIN_USERNAME: kept for the person it names, never given to a bot. */
    private readonly reservedUsername: string | null = null,
    /** MAX_BOTS_PER_OWNER: live bots one person may own. */
    private readonly maxBots: number = DEFAULT_CAPS.MAX_BOTS_PER_OWNER,
  ) {}

  /** Creates an API token for the caller; the token is returned only here. */
  async create(actor: Actor, req: TokenRequest): Promise<ApiToken & { token: string }> {
    return this.issue(actor.user.id, cleanName(req.name, 'name'), req.expiresInDays, grant(actor, req.scopes));
  }

  async list(actor: Actor): Promise<{ tokens: ApiToken[] }> {
    return { tokens: (await this.repos.sessions.listForUser(actor.user.id, 'api')).map(presentToken) };
  }

  /**
   * Revokes one of the caller's API tokens, and every token it created (and they created), its
   * bots' included; closes their sockets.
   */
  async revoke(actor: Actor, id: string): Promise<void> {
    const row = await inTransaction(this.db, async (tx) => {
      if (!isUuid(id)) return null;
      const created = await tx.sessions.createdBy(id);
      const deleted = await tx.sessions.deleteOne(actor.user.id, id, 'api');
      return deleted ? { deleted, created } : null;
    });
    if (!row) throw notFound('token');
    for (const hash of [row.deleted.tokenHash, ...row.created]) this.publisher.revoke(hash);
  }

  /** Creates a bot account owned by the caller, with its first API token. */
  async createBot(actor: Actor, input: { username: string; displayName?: string; tokenName?: string; scopes?: readonly TokenScope[] }): Promise<{ user: User; token: string }> {
    if (actor.user.bot) throw forbidden('a bot cannot create bots');
    const granted = grant(actor, input.scopes);
    if ((await this.repos.users.countLiveBots(actor.user.id)) >= this.maxBots) {
      throw conflict(`one person may own at most ${this.maxBots} bots`, { max: this.maxBots });
    }
    if (this.reservedUsername && sameUsername(input.username, this.reservedUsername)) {
      throw new AppError('username_taken', 'that username is taken');
    }
    if (isReservedUsername(input.username)) throw new AppError('username_taken', `"${input.username}" is reserved (it mentions a whole group)`);
    const displayName = cleanName(input.displayName ?? input.username, 'displayName');
    const row = await this.repos.users.create({
      id: newId(),
      username: input.username,
      displayName,
      passwordHash: null,
      bot: true,
      botOwnerId: actor.user.id,
    });
    if (!row) throw new AppError('username_taken', 'that username is taken');
    const { token } = await this.issue(row.id, input.tokenName?.trim() || 'default', undefined, granted);
    await this.audit.record({ actorId: actor.user.id, action: 'bot.created', targetUserId: row.id });
    return { user: presentUser(row, this.presence), token };
  }

  async listBots(actor: Actor): Promise<{ bots: User[] }> {
    const rows = await this.repos.users.liveBotsOf(actor.user.id, this.maxBots);
    return { bots: rows.map((r) => presentUser(r, this.presence)) };
  }

  /** A new API token for one of the caller's bots. */
  async createBotToken(actor: Actor, botId: string, req: TokenRequest): Promise<ApiToken & { token: string }> {
    const granted = grant(actor, req.scopes);
    const bot = await this.ownBot(actor, botId);
    return this.issue(bot.id, cleanName(req.name, 'name'), req.expiresInDays, granted);
  }

  /** Deactivates one of the caller's bots: its tokens are revoked and its sockets closed. */
  async deleteBot(actor: Actor, botId: string): Promise<void> {
    const bot = await this.ownBot(actor, botId);
    await inTransaction(this.db, async (tx) => {
      await tx.users.setAdminState(bot.id, { deactivatedAt: new Date() });
      await tx.sessions.deleteAllForUser(bot.id);
      await this.audit.record({ actorId: actor.user.id, action: 'bot.deleted', targetUserId: bot.id }, tx);
    });
    this.publisher.revokeUser(bot.id);
  }

  private async ownBot(actor: Actor, botId: string): Promise<UserRow> {
    const bot = isUuid(botId) ? await this.repos.users.findById(botId) : null;
    if (!bot || bot.botOwnerId !== actor.user.id || bot.deactivatedAt) throw notFound('bot');
    return bot;
  }

  /** A new API token; with `expiresInDays` it is refused (and later swept) after that many days. */
  private async issue(userId: string, name: string, expiresInDays: number | undefined, granted: { scopes: TokenScope[]; createdBy: string | null }): Promise<ApiToken & { token: string }> {
    if ((await this.repos.sessions.countForUser(userId, 'api')) >= MAX_API_TOKENS) {
      throw conflict(`an account may hold at most ${MAX_API_TOKENS} API tokens; revoke one first`);
    }
    const token = newToken('api');
    const expiresAt = expiresInDays ? new Date(Date.now() + expiresInDays * 86_400_000) : null;
    const row = await this.repos.sessions.create({ id: newId(), userId, tokenHash: hashToken(token), kind: 'api', name, expiresAt, ...granted });
    return { ...presentToken(row), token };
  }
}
