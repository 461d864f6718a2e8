/** Limits of the contract, as the composer checks them before sending (TypeBox-free module). */
export { MAX_ATTACHMENTS, MESSAGE_BODY_MAX } from '../../src/protocol/limits.js';
