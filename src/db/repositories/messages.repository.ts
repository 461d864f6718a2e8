import { and, asc, desc, eq, gt, inArray, isNull, lt, or, sql } from 'drizzle-orm';
import type { Db } from '../database.js';
import { searchTerms } from '../search-terms.js';
import { pgArray, pgError, queryRows } from '../sql.js';
import { members, conversations, messageMentions, messages } from '../schema.js';

export type MessageRow = typeof messages.$inferSelect;
export type NewMessage = typeof messages.$inferInsert;

export class MessagesRepository {
  constructor(private readonly db: Db) {}

  async insert(row: NewMessage): Promise<MessageRow> {
    const [created] = await this.db
      .insert(messages)
      .values({ ...row, searchTerms: searchTerms(row.body) })
      .returning();
    return created!;
  }

  /**
   * Stores a new message under the conversation's next seq, with its mentions and its
   * message.created event, in one statement (parley_store_message, migration 0006): the row as
   * stored, or why not. A repeated clientMsgId is `duplicate`: nothing was written.
   */
  async store(
    row: Pick<MessageRow, 'id' | 'conversationId' | 'senderId' | 'clientMsgId' | 'body' | 'replyToId' | 'mentions' | 'createdAt'>,
  ): Promise<
    | { ok: true; row: MessageRow }
    | { ok: false; reason: 'not_found' | 'not_member' | 'duplicate' }
    | { ok: false; reason: 'muted'; mutedUntil: Date }
  > {
    const terms = searchTerms(row.body);
    try {
      const [result] = await queryRows<{ seq: string | number }>(
        this.db,
        sql`SELECT parley_store_message(${row.id}::uuid, ${row.conversationId}::uuid, ${row.senderId}::uuid, ${row.clientMsgId}::text,
          ${row.body}::text, ${row.replyToId}::uuid, ${pgArray(row.mentions)}::uuid[], ${pgArray(terms)}::text[],
          ${row.createdAt.toISOString()}::timestamptz) AS seq`,
      );
      const seq = Number(result!.seq);
      return { ok: true, row: { ...row, seq, searchTerms: terms, editedAt: null, deletedAt: null } };
    } catch (err) {
      const pg = pgError(err);
      switch (pg?.code) {
        case 'PR404':
          return { ok: false, reason: 'not_found' };
        case 'PR403':
          return { ok: false, reason: 'not_member' };
        case 'PR423':
          return { ok: false, reason: 'muted', mutedUntil: new Date(pg.detail ?? '') };
        case '23505':
          return { ok: false, reason: 'duplicate' };
        default:
          throw err;
      }
    }
  }

  async findById(id: string): Promise<MessageRow | null> {
    const [row] = await this.db.select().from(messages).where(eq(messages.id, id));
    return row ?? null;
  }

  async findByIds(ids: readonly string[]): Promise<MessageRow[]> {
    if (ids.length === 0) return [];
    return this.db.select().from(messages).where(inArray(messages.id, [...ids]));
  }

  /** The message a sender already sent under clientMsgId in a conversation, if any. */
  async findByClientMsgId(conversationId: string, senderId: string, clientMsgId: string): Promise<MessageRow | null> {
    const [row] = await this.db
      .select()
      .from(messages)
      .where(
        and(
          eq(messages.conversationId, conversationId),
          eq(messages.senderId, senderId),
          eq(messages.clientMsgId, clientMsgId),
        ),
      );
    return row ?? null;
  }

  /**
   * A page of history in ascending seq: the newest `limit` (no bounds), the `limit` before `before`,
   * or the `limit` after `after` (bounded by `before` when both are given). One row more than
   * `limit` is read to tell whether there is more.
   */
  async history(
    conversationId: string,
    range: { before?: number; after?: number },
    limit: number,
  ): Promise<{ rows: MessageRow[]; hasMore: boolean }> {
    const inConv = eq(messages.conversationId, conversationId);
    if (range.after !== undefined) {
      const rows = await this.db
        .select()
        .from(messages)
        .where(and(inConv, gt(messages.seq, range.after), range.before !== undefined ? lt(messages.seq, range.before) : undefined))
        .orderBy(asc(messages.seq))
        .limit(limit + 1);
      return { rows: rows.slice(0, limit), hasMore: rows.length > limit };
    }
    const rows = await this.db
      .select()
      .from(messages)
      .where(and(inConv, range.before !== undefined ? lt(messages.seq, range.before) : undefined))
      .orderBy(desc(messages.seq))
      .limit(limit + 1);
    return { rows: rows.slice(0, limit).reverse(), hasMore: rows.length > limit };
  }

  async updateBody(id: string, body: string, mentions: string[]): Promise<MessageRow | null> {
    const [row] = await this.db
      .update(messages)
      .set({ body, mentions, searchTerms: searchTerms(body), editedAt: sql`now()` })
      .where(and(eq(messages.id, id), isNull(messages.deletedAt)))
      .returning();
    return row ?? null;
  }

  /** Mention rows of a new message. */
  async addMentions(message: Pick<MessageRow, 'id' | 'conversationId' | 'seq'>, userIds: readonly string[]): Promise<void> {
    await this.db
      .insert(messageMentions)
      .values(userIds.map((userId) => ({ userId, conversationId: message.conversationId, seq: message.seq, messageId: message.id })));
  }

  /** Replaces the mention rows of a message (unread mention counts read them by seq). */
  async setMentions(message: Pick<MessageRow, 'id' | 'conversationId' | 'seq'>, userIds: readonly string[]): Promise<void> {
    await this.db.delete(messageMentions).where(eq(messageMentions.messageId, message.id));
    if (userIds.length > 0) await this.addMentions(message, userIds);
  }

  /**
   * Live messages of the user's live conversations holding every term (and, for each CJK run of
   * the query, its exact text: bigrams alone do not make a contiguous substring), newest first,
   * after a (createdAt, id) cursor.
   */
  async search(
    userId: string,
    query: { terms: string[]; phrases: string[]; conversationId?: string },
    after: { at: Date; id: string } | null,
    limit: number,
  ): Promise<MessageRow[]> {
    const rows = await this.db
      .select({ m: messages })
      .from(messages)
      .innerJoin(members, and(eq(members.conversationId, messages.conversationId), eq(members.userId, userId)))
      .innerJoin(conversations, and(eq(conversations.id, messages.conversationId), isNull(conversations.deletedAt)))
      .where(
        and(
          sql`${messages.searchTerms} @> ARRAY[${sql.join(query.terms.map((t) => sql`${t}`), sql`, `)}]::text[]`,
          isNull(messages.deletedAt),
          query.conversationId ? eq(messages.conversationId, query.conversationId) : undefined,
          ...query.phrases.map((p) => sql`strpos(lower(${messages.body}), ${p}) > 0`),
          after
            ? or(lt(messages.createdAt, after.at), and(eq(messages.createdAt, after.at), lt(messages.id, after.id)))
            : undefined,
        ),
      )
      .orderBy(desc(messages.createdAt), desc(messages.id))
      .limit(limit);
    return rows.map((r) => r.m);
  }

  /** Turns a message into a tombstone: it keeps its seq; its text is gone. */
  async tombstone(id: string): Promise<MessageRow | null> {
    const [row] = await this.db
      .update(messages)
      .set({ body: '', mentions: [], searchTerms: [], deletedAt: sql`now()` })
      .where(and(eq(messages.id, id), isNull(messages.deletedAt)))
      .returning();
    return row ?? null;
  }
}
