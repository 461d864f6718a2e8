/** REST shapes of login sessions (devices) and the web client's cookie session. */
import { Type, type Static } from 'typebox';
import { Id, Me, Nullable, Timestamp, User } from './entities.js';

/**
 * How a sign-in hands out its session: `bearer` (default) answers `{user, token}`; `cookie` sets
 * the HttpOnly `parley_session` cookie and answers `{user, csrfToken}` (the web client).
 */
export const SessionMode = Type.Union([Type.Literal('bearer'), Type.Literal('cookie')], {
  description: '"cookie": the token goes in an HttpOnly cookie and the answer carries a csrfToken instead',
});
export type SessionMode = Static<typeof SessionMode>;

/** A login session (one device's sign-in), as GET /users/me/sessions lists it. */
export const LoginSession = Type.Object({
  id: Id,
  /** The session of this very request. */
  current: Type.Boolean(),
  kind: Type.Literal('session'),
  /** A short label from the User-Agent: "Chrome on Linux", "Parley API client". */
  device: Type.String(),
  userAgent: Nullable(Type.String()),
  ip: Nullable(Type.String()),
  createdAt: Timestamp,
  lastUsedAt: Timestamp,
  /** Moves forward as the session is used (SESSION_IDLE_DAYS), never past SESSION_MAX_DAYS from sign-in. */
  expiresAt: Nullable(Timestamp),
  /** The web client's cookie session (not a bearer token). */
  cookie: Type.Boolean(),
});
export type LoginSession = Static<typeof LoginSession>;

export const SessionList = Type.Object({ sessions: Type.Array(LoginSession) });

/** A cookie sign-in's answer, and GET /auth/session's: the token itself never reaches scripts. */
export const CookieAuthResult = Type.Object({
  user: User,
  /** Send as X-CSRF-Token on POST, PUT, PATCH and DELETE made with the cookie. */
  csrfToken: Type.String(),
});
export type CookieAuthResult = Static<typeof CookieAuthResult>;

/** GET /auth/session: the signed-in user and the session's CSRF token, or nulls when nobody is signed in. */
export const SessionState = Type.Object({ user: Nullable(Me), csrfToken: Nullable(Type.String()) });
