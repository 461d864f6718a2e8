/**
 * The WebSocket close codes Parley's server uses beyond the standard ones (1000-1015), without
 * TypeBox: the server closes with them and clients (browsers included) read them from here.
 * README.md ("WebSocket in one minute") says what a client should do with each.
 */
/** The token is missing, bad, revoked or expired: sign in again, do not retry with it. */
export const CLOSE_UNAUTHORIZED = 4401;
/** The client's protocol is older than the server's minimum: reload, do not retry as is. */
export const CLOSE_PROTOCOL_UNSUPPORTED = 4426;
/**
 * Slow consumer: the socket did not drain (its buffer did not go down while events waited), or
 * what waited for it passed the server's ceiling. Reconnect and sync.
 */
export const CLOSE_SLOW_CONSUMER = 4008;
/**
 * The user already has WS_CONNECTIONS_PER_USER sockets open on this node; sent after an `error`
 * frame (`rate_limited`, `details.reason` "too_many_connections", `details.limit`,
 * `details.retryAfter`). Close another tab or device, or retry after `retryAfter` seconds.
 */
export const CLOSE_TOO_MANY_CONNECTIONS = 4429;
