/**
 * The contract's numeric limits, without TypeBox: browser code imports them from here so its
 * bundle does not carry the schemas. The schemas in rest.ts and frames.ts use the same constants.
 */
export const PROTOCOL_VERSION = 1;
/**
 * The oldest client protocol this server still speaks: an `auth` frame declaring an older one is
 * refused with close code 4426 (the client must reload). Raised only a release after the change
 * that needs it, so clients of the previous release keep working during a rolling upgrade.
 */
export const MIN_PROTOCOL_VERSION = 1;
/** A WebSocket frame over this closes the connection with 1009. */
export const MAX_FRAME_BYTES = 64 * 1024;
/** Cursors one `auth` or `sync` frame may carry. */
export const MAX_SYNC_CURSORS = 500;
/** Characters of a message body. */
export const MESSAGE_BODY_MAX = 8000;
/** Attachments of one message. */
export const MAX_ATTACHMENTS = 10;
/** Members a group may be created with. */
export const MAX_INITIAL_MEMBERS = 1000;
/** Members one @all or @here mentions at most (the first to have joined); see docs/admin.md. */
export const MENTION_ALL_MAX = 1000;
/** Pinned messages a conversation may have. */
export const MAX_PINS = 50;
