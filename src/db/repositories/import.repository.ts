/**
 * The SQL of imports (`npm run admin -- import`): the import keys (what an import made, by source
 * object), users created or matched, and each conversation's history written in bulk: multi-row
 * INSERTs of messages with their events, mentions, reactions and attachments, then the threads'
 * summaries and followers and the conversation's head, in the caller's transaction.
 */
import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Db } from '../database.js';
import {
  conversations,
  importKeys,
  members,
  messageAttachments,
  messageMentions,
  messages,
  reactions,
  threadFollowers,
  threads,
  uploads,
  users,
} from '../schema.js';
import { searchTerms } from '../search-terms.js';
import { anyOf } from '../sql.js';

export type ImportSourceName = (typeof importKeys.$inferSelect)['source'];
export type ImportKeyKind = (typeof importKeys.$inferSelect)['kind'];
export type ImportedMessage = Omit<typeof messages.$inferInsert, 'searchTerms'> & { id: string; conversationId: string; seq: number; createdAt: Date; body: string };

/** Rows per INSERT: far under the 65,535 parameters of one statement. */
const ROWS_PER_INSERT = 2000;

async function insertChunks<T>(rows: readonly T[], insert: (chunk: T[]) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) await insert(rows.slice(i, i + ROWS_PER_INSERT));
}

export class ImportRepository {
  constructor(private readonly db: Db) {}

  /**
   * Serializes the writing transactions of imports of one source (another run of the same
   * import waits, then finds what this one made).
   */
  async lockSource(source: ImportSourceName): Promise<void> {
    await this.db.execute(sql`SELECT pg_advisory_xact_lock(hashtext(${`import:${source}`}))`);
  }

  /** What earlier runs made of these source objects: external id → Parley id. */
  async findKeys(source: ImportSourceName, kind: ImportKeyKind, externalIds: readonly string[]): Promise<Map<string, string>> {
    if (externalIds.length === 0) return new Map();
    const rows = await this.db
      .select({ externalId: importKeys.externalId, parleyId: importKeys.parleyId })
      .from(importKeys)
      .where(and(eq(importKeys.source, source), eq(importKeys.kind, kind), anyOf(importKeys.externalId, externalIds)));
    return new Map(rows.map((r) => [r.externalId, r.parleyId]));
  }

  async insertKeys(rows: (typeof importKeys.$inferInsert)[]): Promise<void> {
    if (rows.length > 0) await this.db.insert(importKeys).values(rows).onConflictDoNothing();
  }

  /** Live accounts by e-mail address (case-insensitively): lowercased address → user. */
  async usersByEmail(emails: readonly string[]): Promise<Map<string, { id: string; username: string }>> {
    const lower = [...new Set(emails.map((e) => e.toLowerCase()))];
    if (lower.length === 0) return new Map();
    const rows = await this.db
      .select({ id: users.id, username: users.username, email: users.email })
      .from(users)
      .where(and(inArray(sql`lower(${users.email})`, lower), sql`${users.erasedAt} IS NULL`));
    return new Map(rows.map((r) => [r.email!.toLowerCase(), { id: r.id, username: r.username }]));
  }

  async usersByIds(ids: readonly string[]): Promise<Map<string, { id: string; username: string }>> {
    if (ids.length === 0) return new Map();
    const rows = await this.db.select({ id: users.id, username: users.username }).from(users).where(anyOf(users.id, ids));
    return new Map(rows.map((r) => [r.id, r]));
  }

  /** Which of these usernames (lowercased) are taken. */
  async takenUsernames(names: readonly string[]): Promise<Set<string>> {
    const lower = [...new Set(names.map((n) => n.toLowerCase()))];
    if (lower.length === 0) return new Set();
    const rows = await this.db.select({ username: users.username }).from(users).where(inArray(sql`lower(${users.username})`, lower));
    return new Set(rows.map((r) => r.username.toLowerCase()));
  }

  /** Inserts a user unless its username or e-mail is taken meanwhile (then null). */
  async insertUser(row: typeof users.$inferInsert): Promise<{ id: string; username: string } | null> {
    const [created] = await this.db.insert(users).values(row).onConflictDoNothing().returning({ id: users.id, username: users.username });
    return created ?? null;
  }

  async insertConversation(row: typeof conversations.$inferInsert): Promise<boolean> {
    const made = await this.db.insert(conversations).values(row).onConflictDoNothing().returning({ id: conversations.id });
    return made.length > 0;
  }

  /** A conversation an earlier run made, locked for this transaction (sends to it wait); null when gone. */
  async lockConversation(id: string): Promise<{ lastSeq: number } | null> {
    const [row] = await this.db
      .select({ lastSeq: conversations.lastSeq })
      .from(conversations)
      .where(and(eq(conversations.id, id), sql`${conversations.deletedAt} IS NULL`))
      .for('update');
    return row ?? null;
  }

  /** Adds members (those already there are left as they are). */
  async addMembers(rows: (typeof members.$inferInsert)[]): Promise<void> {
    await insertChunks(rows, (chunk) => this.db.insert(members).values(chunk).onConflictDoNothing());
  }

  /** Which of these message ids exist. */
  async existingMessageIds(ids: readonly string[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const rows = await this.db.select({ id: messages.id }).from(messages).where(anyOf(messages.id, ids));
    return new Set(rows.map((r) => r.id));
  }

  /** Whether a top-level message with this id is in the conversation (an earlier run's thread root). */
  async isRoot(conversationId: string, id: string): Promise<boolean> {
    const rows = await this.db
      .select({ id: messages.id })
      .from(messages)
      .where(and(eq(messages.id, id), eq(messages.conversationId, conversationId), sql`${messages.threadId} IS NULL`));
    return rows.length > 0;
  }

  /**
   * Messages with their search terms and `message.created` events (and who they mention, their
   * reactions and attachments), as a send would have stored them, seqs given by the caller.
   */
  async insertMessages(
    rows: readonly ImportedMessage[],
    extra: {
      reactions: (typeof reactions.$inferInsert)[];
      uploads: (typeof uploads.$inferInsert)[];
      attachments: (typeof messageAttachments.$inferInsert)[];
    },
  ): Promise<void> {
    // One JSON parameter per statement (jsonb_to_recordset): binding thousands of parameters
    // costs the embedded database more than the rows themselves.
    await insertChunks(rows, async (chunk) => {
      const json = JSON.stringify(
        chunk.map((r) => ({
          id: r.id,
          c: r.conversationId,
          s: r.seq,
          u: r.senderId,
          b: r.body,
          th: r.threadId ?? null,
          bc: r.alsoInConversation ?? false,
          m: r.mentions ?? [],
          t: searchTerms(r.body),
          at: r.createdAt.toISOString(),
          ed: r.editedAt ? r.editedAt.toISOString() : null,
        })),
      );
      // The messages and their events from one parse of the batch.
      await this.db.execute(sql`
        WITH r AS (
          SELECT * FROM jsonb_to_recordset(${json}::jsonb)
            AS r(id uuid, c uuid, s bigint, u uuid, b text, th uuid, bc boolean, m uuid[], t text[], at timestamptz, ed timestamptz)
        ), stored AS (
          INSERT INTO messages (id, conversation_id, seq, sender_id, body, thread_id, also_in_conversation, mentions, search_terms, created_at, edited_at)
          SELECT r.id, r.c, r.s, r.u, r.b, r.th, r.bc, r.m, r.t, r.at, r.ed FROM r
        )
        INSERT INTO conversation_events (conversation_id, seq, type, message_id, payload, created_at)
        SELECT r.c, r.s, 'message.created', r.id, '{}'::jsonb, r.at FROM r`);
    });
    const mentions = rows.flatMap((r) =>
      (r.mentions ?? []).map((userId) => ({
        userId,
        conversationId: r.conversationId,
        seq: r.seq,
        messageId: r.id,
        threadId: r.threadId ?? null,
        threadOnly: (r.threadId ?? null) !== null && !r.alsoInConversation,
      })),
    );
    await insertChunks(mentions, (chunk) => this.db.insert(messageMentions).values(chunk));
    await insertChunks(extra.reactions, (chunk) =>
      this.db.execute(sql`
        INSERT INTO reactions (message_id, emoji, user_id, created_at)
        SELECT r.m, r.e, r.u, r.at FROM jsonb_to_recordset(${JSON.stringify(chunk.map((x) => ({ m: x.messageId, e: x.emoji, u: x.userId, at: (x.createdAt ?? new Date()).toISOString() })))}::jsonb)
          AS r(m uuid, e text, u uuid, at timestamptz)
        ON CONFLICT DO NOTHING`),
    );
    await insertChunks(extra.uploads, (chunk) => this.db.insert(uploads).values(chunk));
    await insertChunks(extra.attachments, (chunk) => this.db.insert(messageAttachments).values(chunk));
  }

  /**
   * Threads' summaries after the replies just imported: added to a summary an earlier run made
   * (replies appended), participants most recent first.
   */
  async upsertThreads(rows: (typeof threads.$inferInsert & { replyCount: number; lastReplySeq: number })[]): Promise<void> {
    await insertChunks(rows, (chunk) =>
      this.db
        .insert(threads)
        .values(chunk)
        .onConflictDoUpdate({
          target: threads.rootId,
          set: {
            replyCount: sql`${threads.replyCount} + excluded.reply_count`,
            lastReplyAt: sql`excluded.last_reply_at`,
            lastReplySeq: sql`excluded.last_reply_seq`,
            participantIds: sql`(excluded.participant_ids || ARRAY(SELECT p FROM unnest(${threads.participantIds}) AS p WHERE p <> ALL (excluded.participant_ids)))[1:10]`,
          },
        }),
    );
  }

  /** Followers of imported threads, who have read them (their pointer at the last reply). */
  async followThreads(rows: (typeof threadFollowers.$inferInsert & { lastReadSeq: number })[]): Promise<void> {
    await insertChunks(rows, (chunk) =>
      this.db
        .insert(threadFollowers)
        .values(chunk)
        .onConflictDoUpdate({
          target: [threadFollowers.rootId, threadFollowers.userId],
          set: { lastReadSeq: sql`GREATEST(${threadFollowers.lastReadSeq}, excluded.last_read_seq)`, following: sql`COALESCE(${threadFollowers.following}, true)` },
        }),
    );
  }

  /**
   * The conversation's head after its imported messages: last seq and activity, created no later
   * than its first message, its member count, and every member's read pointer at the end (imported history is not unread).
   */
  async finishConversation(id: string, lastSeq: number, firstAt: Date | null, lastActivityAt: Date | null): Promise<void> {
    await this.db
      .update(conversations)
      .set({
        lastSeq,
        ...(firstAt ? { createdAt: sql`LEAST(${conversations.createdAt}, ${firstAt.toISOString()}::timestamptz)` } : {}),
        ...(lastActivityAt ? { lastActivityAt: sql`GREATEST(${conversations.lastActivityAt}, ${lastActivityAt.toISOString()}::timestamptz)` } : {}),
        memberCount: sql`(SELECT count(*)::int FROM ${members} WHERE ${members.conversationId} = ${id})`,
      })
      .where(eq(conversations.id, id));
    await this.db.update(members).set({ lastReadSeq: sql`GREATEST(${members.lastReadSeq}, ${lastSeq})` }).where(eq(members.conversationId, id));
  }

  /** Whether this account is one an import made that nobody has claimed (deactivated, no password). */
  async isClaimable(userId: string): Promise<boolean> {
    const rows = await this.db
      .select({ id: users.id })
      .from(importKeys)
      .innerJoin(users, eq(users.id, importKeys.parleyId))
      .where(
        and(
          eq(importKeys.parleyId, userId),
          eq(importKeys.kind, 'user'),
          eq(importKeys.claimable, true),
          sql`${users.passwordHash} IS NULL AND ${users.deactivatedAt} IS NOT NULL AND ${users.erasedAt} IS NULL AND NOT ${users.bot}`,
        ),
      )
      .limit(1);
    return rows.length > 0;
  }

  /**
   * Claims an account an import made: active from now on (with `passwordHash` when given), and
   * never claimable again. False when it was not claimable (claimed meanwhile).
   */
  async claim(userId: string, passwordHash: string | null): Promise<boolean> {
    const keys = await this.db
      .update(importKeys)
      .set({ claimable: false })
      .where(and(eq(importKeys.parleyId, userId), eq(importKeys.kind, 'user'), eq(importKeys.claimable, true)))
      .returning({ id: importKeys.parleyId });
    if (keys.length === 0) return false;
    await this.db
      .update(users)
      .set({ deactivatedAt: null, ...(passwordHash ? { passwordHash } : {}) })
      .where(eq(users.id, userId));
    return true;
  }

  /** The account is no longer claimable (a site admin deactivated it). */
  async forgetClaim(userId: string): Promise<void> {
    await this.db.update(importKeys).set({ claimable: false }).where(and(eq(importKeys.parleyId, userId), eq(importKeys.kind, 'user'), eq(importKeys.claimable, true)));
  }

  async findDirect(directKey: string): Promise<string | null> {
    const [row] = await this.db.select({ id: conversations.id }).from(conversations).where(eq(conversations.directKey, directKey));
    return row?.id ?? null;
  }
}
