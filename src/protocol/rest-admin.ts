/** REST bodies of moderation, API tokens, bots and site administration (CONTRACT.md's operations rows). */
import { Type } from 'typebox';
import { AdminUser, ApiToken, AuditEntry, Ban, Nullable, Timestamp, TokenScopeSchema, User } from './entities.js';
import { DisplayName, ListQuery, Username } from './rest.js';

const strict = { additionalProperties: false } as const;

export const MuteBody = Type.Object({ until: Timestamp }, strict);
export const BanList = Type.Object({ bans: Type.Array(Ban), nextCursor: Nullable(Type.String()) });

export const TokenName = Type.String({ minLength: 1, maxLength: 64 });
const Scopes = Type.Array(TokenScopeSchema, {
  uniqueItems: true,
  maxItems: 6,
  description: 'What the token may do; absent = read and write. `read` is always included. A token may create tokens only with the `tokens` scope, and only with scopes it has.',
});
export const CreateTokenBody = Type.Object(
  {
    name: TokenName,
    expiresInDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 3650, description: 'Refused after this many days; absent = never expires' })),
    scopes: Type.Optional(Scopes),
  },
  strict,
);
export const CreatedToken = Type.Object({ ...ApiToken.properties, token: Type.String({ description: 'Shown once' }) });
export const TokenList = Type.Object({ tokens: Type.Array(ApiToken) });

export const CreateBotBody = Type.Object(
  { username: Username, displayName: Type.Optional(DisplayName), tokenName: Type.Optional(TokenName), scopes: Type.Optional(Scopes) },
  strict,
);
export const CreatedBot = Type.Object({ user: User, token: Type.String({ description: 'The bot\'s first API token, shown once' }) });
export const BotList = Type.Object({ bots: Type.Array(User) });

export const AuditList = Type.Object({ entries: Type.Array(AuditEntry), nextCursor: Nullable(Type.String()) });
export const AdminUserQuery = Type.Object(
  {
    q: Type.Optional(Type.String({ maxLength: 64 })),
    deactivated: Type.Optional(Type.Boolean()),
    siteAdmin: Type.Optional(Type.Boolean()),
    ...ListQuery,
  },
  strict,
);
export const AdminUserList = Type.Object({ users: Type.Array(AdminUser), nextCursor: Nullable(Type.String()) });
export const PatchAdminUserBody = Type.Object({ siteAdmin: Type.Boolean() }, strict);

export const SiteSettings = Type.Object(
  {
    signupMode: Type.Union([Type.Literal('open'), Type.Literal('invite'), Type.Literal('domain')], {
      description: 'open: anyone may sign up; invite: only with an invite code; domain: only with an e-mail address in allowedEmailDomains',
    }),
    allowedEmailDomains: Type.Array(Type.String({ minLength: 1, maxLength: 253 }), { maxItems: 100 }),
    retentionDays: Nullable(Type.Integer({ minimum: 1, maximum: 36_500, description: 'Messages older than this are deleted with their files; null: kept for ever' })),
    linkPreviews: Type.Boolean({ description: 'The server fetches previews of links in new messages (default true); false: none are fetched' }),
  },
  strict,
);
export const PatchSiteSettingsBody = Type.Partial(SiteSettings, strict);

/** GET /users/me/storage: what the caller's uploads hold, against their quota (null: none). */
export const StorageUsage = Type.Object({
  usedBytes: Type.Integer({ minimum: 0 }),
  files: Type.Integer({ minimum: 0 }),
  quotaBytes: Nullable(Type.Integer({ minimum: 1 })),
});
/** GET /admin/storage: the stored files' bytes against the site quota, and the heaviest uploaders first. */
export const SiteStorage = Type.Object({
  storedBytes: Type.Integer({ minimum: 0 }),
  quotaBytes: Nullable(Type.Integer({ minimum: 1 })),
  perUserQuotaBytes: Nullable(Type.Integer({ minimum: 1 })),
  users: Type.Array(Type.Object({ user: User, usedBytes: Type.Integer({ minimum: 0 }), files: Type.Integer({ minimum: 0 }) })),
  nextCursor: Nullable(Type.String()),
});
