import { and, asc, eq, gt, lte } from 'drizzle-orm';
import type { Db } from '../database.js';
import { messages } from '../schema.js';
import type { MessageRow } from './messages.repository.js';

/** A message as an export shows it: every column but the search terms (a CJK body's bigrams are bulky). */
export type ExportMessageRow = Omit<MessageRow, 'searchTerms'>;

/** The history reads of a group export: pages in seq order, one index range each (messages_history_key). */
export class GroupExportRepository {
  constructor(private readonly db: Db) {}

  /** Up to `limit` messages after seq `after`, up to and including `until`, in seq order. */
  async messages(conversationId: string, after: number, until: number, limit: number): Promise<ExportMessageRow[]> {
    return this.db
      .select({
        id: messages.id,
        conversationId: messages.conversationId,
        seq: messages.seq,
        senderId: messages.senderId,
        clientMsgId: messages.clientMsgId,
        body: messages.body,
        replyToId: messages.replyToId,
        threadId: messages.threadId,
        alsoInConversation: messages.alsoInConversation,
        mentions: messages.mentions,
        createdAt: messages.createdAt,
        editedAt: messages.editedAt,
        deletedAt: messages.deletedAt,
        previews: messages.previews,
      })
      .from(messages)
      .where(and(eq(messages.conversationId, conversationId), gt(messages.seq, after), lte(messages.seq, until)))
      .orderBy(asc(messages.seq))
      .limit(limit);
  }
}
