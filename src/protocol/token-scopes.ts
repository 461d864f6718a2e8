/**
 * What an API token may do. A login session may do everything its account may; a token only what
 * its scopes say. `read` is every token's (GET requests, the WebSocket's events and syncs);
 * `write` changes things people share (messages, reactions, groups, uploads; the WebSocket's
 * sends, typing and read markers); `admin` the site administration a site admin may do. The other
 * three are kept apart because a leaked token must not be able to keep itself alive or take the
 * account: `tokens` (API tokens and bots), `sessions` (the account's devices) and `account`
 * (password, e-mail address, download of one's data, deleting the account).
 */
export const TOKEN_SCOPES = ['read', 'write', 'admin', 'tokens', 'sessions', 'account'] as const;
export type TokenScope = (typeof TOKEN_SCOPES)[number];

/** What a token gets when its creator names no scopes. */
export const DEFAULT_TOKEN_SCOPES: readonly TokenScope[] = ['read', 'write'];

/** An API token made before scopes existed, if one is still unmarked: what it could do then, less the kept-apart scopes. */
export const LEGACY_TOKEN_SCOPES: readonly TokenScope[] = ['read', 'write', 'admin'];

/** The scopes of a caller's session: null for a login session (everything its account may do). */
export function scopesOf(session: { kind: string; scopes: string[] | null } | undefined): readonly string[] | null {
  if (!session || session.kind !== 'api') return null;
  return session.scopes ?? LEGACY_TOKEN_SCOPES;
}
