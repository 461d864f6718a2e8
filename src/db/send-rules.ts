/**
 * The send rules' one home. Whether a message may be stored is decided inside the database, by
 * parley_store_message / parley_store_messages (latest definition: migration 0018_threads.sql), in
 * the same statement that takes the conversation's next seq, so no check can go stale between a
 * look and the write:
 *
 * | rule                                                    | SQLSTATE | DETAIL               | refusal              |
 * | ------------------------------------------------------- | -------- | -------------------- | -------------------- |
 * | the conversation exists                                 | PR404    |                      | `not_found`          |
 * | the sender is a member                                  | PR403    |                      | `not_member`         |
 * | posting_policy 'admins': only the owner and admins post | PR403    | `posting_restricted` | `posting_restricted` |
 * | the sender's mute (muted_until > now()) has ended       | PR423    | muted_until, ISO UTC | `muted`              |
 * | the sender's clientMsgId was not used before            | 23505    |                      | `duplicate`          |
 *
 * This module turns those answers into refusals, for the single and the batched store alike.
 * The mute rule also exists in TypeScript, for writes that are not stores (edits, reactions,
 * commands, and sends that look up attachments first): isMuted below, which
 * services/access.ts's requireNotMuted uses. tests/api/send-rules.test.ts checks that the two agree.
 */

export type SendRefusal = { ok: false; reason: 'not_found' | 'not_member' | 'duplicate' | 'posting_restricted' } | { ok: false; reason: 'muted'; mutedUntil: Date };

/** The refusal a store's SQLSTATE and DETAIL stand for; null for any other error (not a rule's). */
export function sendRefusal(code: string | null | undefined, detail: string | null | undefined): SendRefusal | null {
  switch (code) {
    case 'PR404':
      return { ok: false, reason: 'not_found' };
    case 'PR403':
      return { ok: false, reason: detail === 'posting_restricted' ? 'posting_restricted' : 'not_member' };
    case 'PR423':
      return { ok: false, reason: 'muted', mutedUntil: new Date(detail ?? '') };
    case '23505':
      return { ok: false, reason: 'duplicate' };
    default:
      return null;
  }
}

/** The mute rule as the SQL has it: muted while muted_until is later than now. */
export function isMuted(mutedUntil: Date | null, now = Date.now()): boolean {
  return mutedUntil !== null && mutedUntil.getTime() > now;
}
