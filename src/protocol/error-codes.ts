/**
 * The contract's error codes and their HTTP statuses, without TypeBox: the server maps errors
 * with them and clients (browsers included) read error frames with them.
 */
export const ERROR_STATUS = {
  validation_failed: 400,
  unauthorized: 401,
  invalid_credentials: 401,
  forbidden: 403,
  muted: 403,
  /** A request made with the session cookie lacks the right X-CSRF-Token, or comes from a foreign Origin. */
  csrf_failed: 403,
  /** Sign-up is invite-only and no invite code was given. */
  invite_required: 403,
  /** The invite code is unknown, expired, revoked or used up (which one is not said). */
  invite_invalid: 403,
  /** Sign-up needs an e-mail address in one of the allowed domains. */
  email_domain_not_allowed: 403,
  /** The current password given to change the password or e-mail address is wrong (not 401: the session is fine). */
  wrong_password: 403,
  /** The account has no password (a bot, or signed up through OpenID Connect). */
  password_not_set: 403,
  /** Login to a deactivated account, after the right password (a wrong one is `invalid_credentials`). */
  account_deactivated: 403,
  /** A password reset code that is unknown, expired or already used. */
  reset_code_invalid: 400,
  /** Another account has this e-mail address. */
  email_taken: 409,
  /** A plain member's send to an announcement group (postingPolicy "admins"). */
  posting_restricted: 403,
  /** @all / @here by a sender the group's mentionAllPolicy does not allow. */
  mention_all_forbidden: 403,
  /** The user refuses to be added to groups by the caller (they left a group the caller added them to, and said so). */
  add_blocked: 403,
  not_found: 404,
  conflict: 409,
  /** A conversation already has the most pins it may have (50). */
  pin_limit_reached: 409,
  /** The account already owns the most live groups it may (MAX_GROUPS_PER_OWNER; details.max). */
  group_limit_reached: 409,
  username_taken: 409,
  payload_too_large: 413,
  /** The upload would take the uploader (or the site) past its storage quota (details: usedBytes, quotaBytes, fileBytes). */
  quota_exceeded: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  /** A client older than the server's minimum protocol version: it must reload (WebSocket close 4426). */
  protocol_unsupported: 426,
  internal: 500,
  unavailable: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

/** The generic code of each status, for an error that has only a status. */
export const CODE_BY_STATUS: Readonly<Record<number, ErrorCode>> = {
  400: 'validation_failed',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  409: 'conflict',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'rate_limited',
  503: 'unavailable',
};
