/** Drafts: a user's unsent text per conversation (GET /drafts, PUT/DELETE /conversations/{id}/draft). */
import { Type, type Static } from 'typebox';
import { Id, Timestamp } from './entities.js';
import { MESSAGE_BODY_MAX } from './limits.js';

/** At most this many drafts are listed (one per conversation the caller is a member of). */
export const MAX_DRAFTS_LISTED = 1000;

export const Draft = Type.Object({ conversationId: Id, body: Type.String(), updatedAt: Timestamp });
export type Draft = Static<typeof Draft>;

export const DraftList = Type.Object({ drafts: Type.Array(Draft, { description: "the caller's drafts in conversations they are a member of" }) });
export type DraftList = Static<typeof DraftList>;

/** Checked again in characters (code points) by the service, like a message's body. */
export const PutDraftBody = Type.Object(
  { body: Type.String({ maxLength: MESSAGE_BODY_MAX * 2, description: `at most ${MESSAGE_BODY_MAX} characters; empty deletes the draft` }) },
  { additionalProperties: false },
);
export type PutDraftBody = Static<typeof PutDraftBody>;
