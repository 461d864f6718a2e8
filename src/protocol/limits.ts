/**
 * The contract's numeric limits, without TypeBox: browser code imports them from here so its
 * bundle does not carry the schemas. The schemas in rest.ts and frames.ts use the same constants.
 */
export const PROTOCOL_VERSION = 1;
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
