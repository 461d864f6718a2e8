import { and, asc, desc, eq, gt, gte, isNull, lt, or, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../database.js';
import { searchTerms } from '../search-terms.js';
import { sendRefusal, type SendRefusal } from '../send-rules.js';
import { anyOf, pgArray, pgError, queryRows } from '../sql.js';
import type { ReactionSummary } from './reactions.repository.js';
import type { UploadRow } from './uploads.repository.js';
import { members, conversations, messageMentions, messages } from '../schema.js';

export type MessageRow = typeof messages.$inferSelect;
export type NewMessage = typeof messages.$inferInsert;
/** What a send hands to the store: the new row, as MessagesRepository.store and MessageStoreQueue take it. */
export type NewMessageRow = Pick<MessageRow, 'id' | 'conversationId' | 'senderId' | 'clientMsgId' | 'body' | 'replyToId' | 'mentions' | 'createdAt'> &
  Partial<Pick<MessageRow, 'threadId' | 'alsoInConversation'>>;

/** The row as stored: a new message's columns with the defaults the store gave it. */
export function storedRow(row: NewMessageRow, seq: number, terms: string[]): MessageRow {
  const threadId = row.threadId ?? null;
  return {
    ...row,
    seq,
    searchTerms: terms,
    editedAt: null,
    deletedAt: null,
    previews: null,
    threadId,
    alsoInConversation: threadId !== null && (row.alsoInConversation ?? false),
  };
}

/** What presenting an attachment needs of its upload. */
export type AttachmentRow = Pick<UploadRow, 'id' | 'filename' | 'contentType' | 'size' | 'hasThumbnail' | 'createdAt'>;

/** A thread root's summary (threads table): live replies, the last reply, the latest repliers. */
export interface ThreadSummaryRow {
  replyCount: number;
  lastReplyAt: Date | null;
  lastReplySeq: number;
  participantIds: string[];
}

/** Repliers a summary shows. */
export const SUMMARY_PARTICIPANTS = 5;

/** A message's reactions (grouped by emoji, in the order first used), attachments (in order) and, for a thread root, its summary. */
export interface Extras {
  reactions: ReactionSummary[];
  attachments: AttachmentRow[];
  thread: ThreadSummaryRow | null;
}

type ThreadJson = { replyCount: number; lastReplyAt: string | null; lastReplySeq: number | string; participantIds: string[] | null };

/** A summary from its JSON column (json_build_object writes timestamps without a Z, and bigints maybe as strings). */
export function threadSummary(v: JsonValue<ThreadJson>): ThreadSummaryRow | null {
  const t = json(v);
  if (!t) return null;
  return {
    replyCount: Number(t.replyCount),
    lastReplyAt: t.lastReplyAt === null ? null : new Date(t.lastReplyAt),
    lastReplySeq: Number(t.lastReplySeq),
    participantIds: t.participantIds ?? [],
  };
}

/** The summary of the root `rootIdSql` names, as one JSON value (null before its first reply). */
export const threadSummaryJson = (rootIdSql: SQL) =>
  sql<JsonValue<ThreadJson>>`(SELECT json_build_object('replyCount', t.reply_count, 'lastReplyAt', t.last_reply_at,
      'lastReplySeq', t.last_reply_seq, 'participantIds', t.participant_ids[1:${sql.raw(String(SUMMARY_PARTICIPANTS))}])
    FROM threads t WHERE t.root_id = ${rootIdSql} AND t.last_reply_seq > 0)`;

export interface MessageWithExtras extends Extras {
  row: MessageRow;
}

/** JSON from the driver: parsed by postgres.js and PGlite, text if a driver leaves it so. */
type JsonValue<T> = T | string | null;
const json = <T>(v: JsonValue<T>): T | null => (typeof v === 'string' ? (JSON.parse(v) as T) : v);

/**
 * Each message's reactions and attachments as JSON columns beside it, read by correlated
 * subqueries (one index probe each, on the primary keys that start with message_id): a page
 * and all it shows in one statement. A tombstone shows neither. Names are written out in full:
 * drizzle renders a column of the selected table unqualified, which inside the subqueries
 * would name their own tables' columns.
 */
function extraColumns(viewerId: string | null) {
  const me = viewerId ? sql`bool_or(r.user_id = ${viewerId}::uuid)` : sql`false`;
  return {
    reactions: sql<JsonValue<{ emoji: string; count: number; me: boolean }[]>>`CASE WHEN messages.deleted_at IS NULL THEN (
      SELECT json_agg(json_build_object('emoji', x.emoji, 'count', x.n, 'me', x.me) ORDER BY x.first, x.emoji)
      FROM (SELECT r.emoji, count(*)::int AS n, ${me} AS me, min(r.created_at) AS first
            FROM reactions r WHERE r.message_id = messages.id GROUP BY r.emoji) x) END`,
    attachments: sql<JsonValue<(Omit<AttachmentRow, 'createdAt'> & { createdAt: string })[]>>`CASE WHEN messages.deleted_at IS NULL THEN (
      SELECT json_agg(json_build_object('id', u.id, 'filename', u.filename, 'contentType', u.content_type, 'size', u.size,
                                        'hasThumbnail', u.has_thumbnail, 'createdAt', u.created_at) ORDER BY a.position)
      FROM message_attachments a JOIN uploads u ON u.id = a.upload_id WHERE a.message_id = messages.id) END`,
    // A root's thread summary (a reply is never a root): one probe of threads' primary key.
    thread: sql<JsonValue<ThreadJson>>`CASE WHEN messages.thread_id IS NULL THEN ${threadSummaryJson(sql`messages.id`)} END`,
  };
}

function reactionList(v: JsonValue<{ emoji: string; count: number; me: boolean }[]>, viewerId: string | null): ReactionSummary[] {
  return (json(v) ?? []).map((r) => (viewerId ? { emoji: r.emoji, count: r.count, me: r.me } : { emoji: r.emoji, count: r.count }));
}

function attachmentList(v: JsonValue<(Omit<AttachmentRow, 'createdAt'> & { createdAt: string })[]>): AttachmentRow[] {
  return (json(v) ?? []).map((u) => ({ ...u, size: Number(u.size), createdAt: new Date(u.createdAt) }));
}

function withExtras(
  r: { row: MessageRow; reactions: Parameters<typeof reactionList>[0]; attachments: Parameters<typeof attachmentList>[0]; thread: JsonValue<ThreadJson> },
  viewerId: string | null,
): MessageWithExtras {
  return { row: r.row, reactions: reactionList(r.reactions, viewerId), attachments: attachmentList(r.attachments), thread: threadSummary(r.thread) };
}

/** What a message's mention rows record of it. */
type MentionedMessage = Pick<MessageRow, 'id' | 'conversationId' | 'seq' | 'threadId' | 'alsoInConversation'>;

/** Which messages a page holds: a conversation's (all, or without thread-only replies), or one thread's replies. */
export type PageScope = { conversationId: string; collapseThreads?: boolean } | { threadId: string };

/**
 * A page of history: the newest (no bounds), those before `before`, or those after `after`
 * (bounded by `before` when both are given); read newest first unless going forward.
 */
/** A page's bounds: newest first before `before`, or oldest first after `after`; never below `from` (the reader's history floor). */
export interface PageRange {
  before?: number;
  after?: number;
  from?: number;
}

function pageOf(scope: string | PageScope, range: PageRange) {
  const forward = range.after !== undefined;
  const s: PageScope = typeof scope === 'string' ? { conversationId: scope } : scope;
  return {
    forward,
    where: and(
      'threadId' in s ? eq(messages.threadId, s.threadId) : eq(messages.conversationId, s.conversationId),
      'threadId' in s || !s.collapseThreads ? undefined : or(isNull(messages.threadId), eq(messages.alsoInConversation, true)),
      forward ? gt(messages.seq, range.after!) : undefined,
      range.before !== undefined ? lt(messages.seq, range.before) : undefined,
      range.from ? gte(messages.seq, range.from) : undefined,
    ),
    order: forward ? asc(messages.seq) : desc(messages.seq),
  };
}

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
    row: NewMessageRow,
  ): Promise<{ ok: true; row: MessageRow } | SendRefusal> {
    const terms = searchTerms(row.body);
    try {
      const [result] = await queryRows<{ seq: string | number }>(
        this.db,
        sql`SELECT parley_store_message(${row.id}::uuid, ${row.conversationId}::uuid, ${row.senderId}::uuid, ${row.clientMsgId}::text,
          ${row.body}::text, ${row.replyToId}::uuid, ${pgArray(row.mentions)}::uuid[], ${pgArray(terms)}::text[],
          ${row.createdAt.toISOString()}::timestamptz, ${row.threadId ?? null}::uuid, ${row.alsoInConversation ?? false}::boolean) AS seq`,
      );
      return { ok: true, row: storedRow(row, Number(result!.seq), terms) };
    } catch (err) {
      const pg = pgError(err);
      // Which rule refused it: src/db/send-rules.ts.
      const refused = sendRefusal(pg?.code, pg?.detail);
      if (!refused) throw err;
      return refused;
    }
  }

  async findById(id: string): Promise<MessageRow | null> {
    const [row] = await this.db.select().from(messages).where(eq(messages.id, id));
    return row ?? null;
  }

  async findByIds(ids: readonly string[]): Promise<MessageRow[]> {
    if (ids.length === 0) return [];
    return this.db.select().from(messages).where(anyOf(messages.id, ids));
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
    scope: string | PageScope,
    range: PageRange,
    limit: number,
    viewerId: string | null,
  ): Promise<{ rows: MessageWithExtras[]; hasMore: boolean }> {
    const { where, order, forward } = pageOf(scope, range);
    const rows = await this.db
      .select({ row: messages, ...extraColumns(viewerId) })
      .from(messages)
      .where(where)
      .orderBy(order)
      .limit(limit + 1);
    const page = rows.slice(0, limit).map((r) => withExtras(r, viewerId));
    return { rows: forward ? page : page.reverse(), hasMore: rows.length > limit };
  }

  /** The same page as history, just the rows (the export reads what it shows of each by itself). */
  async rows(conversationId: string, range: { before?: number; after?: number }, limit: number): Promise<{ rows: MessageRow[]; hasMore: boolean }> {
    const { where, order, forward } = pageOf(conversationId, range);
    const rows = await this.db.select().from(messages).where(where).orderBy(order).limit(limit + 1);
    const page = rows.slice(0, limit);
    return { rows: forward ? page : page.reverse(), hasMore: rows.length > limit };
  }

  /** Messages by id with their reactions and attachments, in one statement (in no order). */
  async findByIdsWithExtras(ids: readonly string[], viewerId: string | null): Promise<MessageWithExtras[]> {
    if (ids.length === 0) return [];
    const rows = await this.db
      .select({ row: messages, ...extraColumns(viewerId) })
      .from(messages)
      .where(anyOf(messages.id, ids));
    return rows.map((r) => withExtras(r, viewerId));
  }

  /** The reactions and attachments of messages, in one statement. */
  async extras(ids: readonly string[], viewerId: string | null): Promise<Map<string, Extras>> {
    const out = new Map<string, Extras>();
    if (ids.length === 0) return out;
    const rows = await this.db
      .select({ id: messages.id, ...extraColumns(viewerId) })
      .from(messages)
      .where(anyOf(messages.id, ids));
    for (const r of rows) {
      out.set(r.id, { reactions: reactionList(r.reactions, viewerId), attachments: attachmentList(r.attachments), thread: threadSummary(r.thread) });
    }
    return out;
  }

  /**
   * A new body. `links`: the links of the new body that may keep a preview; the message's link
   * previews of other links go (none left is `[]`: never fetched again); absent, previews stay.
   */
  async updateBody(id: string, body: string, mentions: string[], links?: readonly string[]): Promise<MessageRow | null> {
    const previews =
      links === undefined
        ? {}
        : {
            previews: sql`CASE WHEN ${messages.previews} IS NULL THEN NULL ELSE COALESCE(
              (SELECT jsonb_agg(p ORDER BY n) FROM jsonb_array_elements(${messages.previews}) WITH ORDINALITY AS e(p, n)
                WHERE p->>'url' = ANY(${pgArray(links)}::text[])), '[]'::jsonb) END`,
          };
    const [row] = await this.db
      .update(messages)
      .set({ body, mentions, searchTerms: searchTerms(body), editedAt: sql`now()`, ...previews })
      .where(and(eq(messages.id, id), isNull(messages.deletedAt)))
      .returning();
    return row ?? null;
  }

  /** Mention rows of a message (a reply's carry its thread, and whether the conversation shows it). */
  async addMentions(message: MentionedMessage, userIds: readonly string[]): Promise<void> {
    const threadOnly = message.threadId !== null && !message.alsoInConversation;
    await this.db.insert(messageMentions).values(
      userIds.map((userId) => ({
        userId,
        conversationId: message.conversationId,
        seq: message.seq,
        messageId: message.id,
        threadId: message.threadId,
        threadOnly,
      })),
    );
  }

  /** Replaces the mention rows of a message (unread mention counts read them by seq). */
  async setMentions(message: MentionedMessage, userIds: readonly string[]): Promise<void> {
    await this.db.delete(messageMentions).where(eq(messageMentions.messageId, message.id));
    if (userIds.length > 0) await this.addMentions(message, userIds);
  }

  /**
   * Live messages of the user's live conversations holding every term of `all` and one of each
   * group of `anyOf` (and, for each CJK run of
   * the query, its exact text: bigrams alone do not make a contiguous substring; for each long
   * prefix, a stored word that begins with it), newest first, after a (createdAt, id) cursor.
   * Only the terms are looked up in the index (messages_search_terms_idx, @> and && in one
   * scan); the other checks
   * filter the rows it finds.
   *
   * The planner chooses between that lookup (then a sort) and walking messages newest first
   * while filtering, which wins for common terms. Its default random_page_cost (4, for spinning
   * disks) prices the lookup's heap visits so high that it walks for terms in ~0.2 % of
   * messages, reading tens of thousands of rows (50 ms instead of 5 on 1M messages); 1.1, the
   * usual value for data in memory or on SSD, is set for this query only.
   */
  async search(
    userId: string,
    query: SearchQuery,
    after: { at: Date; id: string } | null,
    limit: number,
  ): Promise<MessageRow[]> {
    return this.db.transaction(async (tx) => {
      await tx.execute(sql`SET LOCAL random_page_cost = 1.1`);
      const rows = await tx
        .select({ m: messages })
        .from(messages)
        .innerJoin(members, and(eq(members.conversationId, messages.conversationId), eq(members.userId, userId)))
        .innerJoin(conversations, and(eq(conversations.id, messages.conversationId), isNull(conversations.deletedAt)))
        .where(
          and(
            query.all.length > 0 ? sql`${messages.searchTerms} @> ${textArray(query.all)}` : undefined,
            ...query.anyOf.map((group) => sql`${messages.searchTerms} && ${textArray(group)}`),
            isNull(messages.deletedAt),
            // Nothing from before the user joined a group that shows members no more (access.readFloor).
            sql`(${conversations.historyVisibility} = 'all' OR ${conversations.kind} <> 'group' OR ${messages.seq} >= ${members.joinedSeq})`,
            query.conversationId ? eq(messages.conversationId, query.conversationId) : undefined,
            query.conversationIds ? anyOf(messages.conversationId, query.conversationIds) : undefined,
            query.senderIds ? anyOf(messages.senderId, query.senderIds) : undefined,
            query.from ? sql`${messages.createdAt} >= ${query.from.toISOString()}::timestamptz` : undefined,
            query.until ? sql`${messages.createdAt} < ${query.until.toISOString()}::timestamptz` : undefined,
            query.hasFile ? sql`EXISTS (SELECT 1 FROM message_attachments a WHERE a.message_id = ${messages.id})` : undefined,
            query.hasLink ? sql`${messages.body} ~* ${LINK_PATTERN}` : undefined,
            query.hasReaction ? sql`EXISTS (SELECT 1 FROM reactions r WHERE r.message_id = ${messages.id})` : undefined,
            query.isPinned ? sql`EXISTS (SELECT 1 FROM pins p WHERE p.message_id = ${messages.id})` : undefined,
            query.isThread ? sql`${messages.threadId} IS NOT NULL` : undefined,
            ...query.phrases.map((p) => sql`strpos(lower(${messages.body}), ${p}) > 0`),
            ...query.longPrefixes.map((p) => sql`EXISTS (SELECT 1 FROM unnest(${messages.searchTerms}) AS t WHERE starts_with(t, ${p}))`),
            after
              ? or(lt(messages.createdAt, after.at), and(eq(messages.createdAt, after.at), lt(messages.id, after.id)))
              : undefined,
          ),
        )
        .orderBy(desc(messages.createdAt), desc(messages.id))
        .limit(limit);
      return rows.map((r) => r.m);
    });
  }

  /** Turns a message into a tombstone: it keeps its seq; its text is gone. */
  async tombstone(id: string): Promise<MessageRow | null> {
    const [row] = await this.db
      .update(messages)
      .set({ body: '', mentions: [], searchTerms: [], previews: null, deletedAt: sql`now()` })
      .where(and(eq(messages.id, id), isNull(messages.deletedAt)))
      .returning();
    return row ?? null;
  }
}

/** What a search looks for: terms (the index), and the filters of the search box. */
export interface SearchQuery {
  all: string[];
  anyOf: string[][];
  phrases: string[];
  longPrefixes: string[];
  conversationId?: string;
  /** `in:`: only these conversations (the caller's, resolved from names). */
  conversationIds?: string[];
  /** `from:`: only these senders. */
  senderIds?: string[];
  /** Date filters: createdAt from (inclusive) and until (exclusive). */
  from?: Date | null;
  until?: Date | null;
  hasFile?: boolean;
  hasLink?: boolean;
  hasReaction?: boolean;
  isPinned?: boolean;
  isThread?: boolean;
}

/** A link in a body, as the web client makes them: a scheme, or www. (Markdown autolinks). */
const LINK_PATTERN = '(https?://|mailto:|(^|[^[:alnum:]_.])www\\.[[:alnum:]])';

/** ARRAY[$1, $2, …]::text[]: one parameter per term, as the search has always passed them. */
function textArray(terms: readonly string[]): SQL {
  return sql`ARRAY[${sql.join(terms.map((t) => sql`${t}`), sql`, `)}]::text[]`;
}
