/**
 * How long message retention takes to purge N messages on embedded PGlite (file-backed, as the
 * server runs it), with the work real history carries: a mention on every 10th message, a
 * reaction on every 5th, a file on every 100th (half of the files' bytes shared with a kept upload).
 *   node --import tsx bench/retention-purge.ts [MESSAGES=50000] [CONVERSATIONS=10] [BATCH=500]
 * Prints one JSON line: rows purged, batches, files removed, seconds, messages per second; then
 * the cost of the next run (nothing to purge) from the retention floor, against the baseline of
 * starting from seq 0 over the same purged history (as runs did before the floor).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { createLogger } from '../src/core/logger.js';
import { newId } from '../src/core/ids.js';
import { openDatabase } from '../src/db/database.js';
import { repositories } from '../src/db/repositories/index.js';
import { RetentionService } from '../src/services/data/retention.service.js';
import { LocalBlobStore } from '../src/storage/blob-store.js';

async function main(): Promise<void> {
  const [messagesArg = '50000', convsArg = '10', batchArg = '500'] = process.argv.slice(2);
  const total = Number(messagesArg);
  const convCount = Number(convsArg);
  const batchSize = Number(batchArg);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-retention-bench-'));
  const logger = createLogger({ level: 'warn', logDir: null });
  const database = await openDatabase({ kind: 'pglite', dataDir: path.join(dir, 'data') }, logger);
  const db = database.db;
  const blobs = new LocalBlobStore(path.join(dir, 'uploads'));
  try {
    const users = [newId(), newId()];
    for (const [i, id] of users.entries()) {
      await db.execute(sql`INSERT INTO users (id, username, display_name) VALUES (${id}::uuid, ${`bench${i}`}, ${`Bench ${i}`})`);
    }
    const convs = Array.from({ length: convCount }, () => newId());
    const per = Math.ceil(total / convCount);
    for (const c of convs) {
      await db.execute(sql`INSERT INTO conversations (id, kind, name, visibility, member_count, last_seq) VALUES (${c}::uuid, 'group', 'bench', 'private', 2, ${per})`);
      await db.execute(sql`INSERT INTO members (conversation_id, user_id, role) VALUES (${c}::uuid, ${users[0]}::uuid, 'owner'), (${c}::uuid, ${users[1]}::uuid, 'member')`);
      // Messages a year old, with their search terms, in one statement per conversation.
      await db.execute(sql`INSERT INTO messages (id, conversation_id, seq, sender_id, body, mentions, search_terms, created_at)
        SELECT gen_random_uuid(), ${c}::uuid, s, ${users[0]}::uuid, 'retention benchmark message 保留 ' || s,
               CASE WHEN s % 10 = 0 THEN ARRAY[${users[1]}::uuid] ELSE '{}'::uuid[] END,
               ARRAY['retention', 'benchmark', 'message', '保留'], now() - interval '365 days' + s * interval '1 second'
        FROM generate_series(1, ${per}) s`);
      await db.execute(sql`INSERT INTO message_mentions (user_id, conversation_id, seq, message_id)
        SELECT ${users[1]}::uuid, conversation_id, seq, id FROM messages WHERE conversation_id = ${c}::uuid AND seq % 10 = 0`);
      await db.execute(sql`INSERT INTO reactions (message_id, emoji, user_id) SELECT id, '👍', ${users[1]}::uuid FROM messages WHERE conversation_id = ${c}::uuid AND seq % 5 = 0`);
      const withFiles = await db.execute(sql`SELECT id, seq FROM messages WHERE conversation_id = ${c}::uuid AND seq % 100 = 0`);
      const rows = (Array.isArray(withFiles) ? withFiles : (withFiles as unknown as { rows: { id: string; seq: number }[] }).rows) as { id: string; seq: number }[];
      for (const m of rows) {
        const data = Buffer.from(`file ${Number(m.seq) % 200 === 0 ? 'shared' : `${c}-${m.seq}`}`);
        const sha = (await import('node:crypto')).createHash('sha256').update(data).digest('hex');
        await blobs.putBuffer(sha, data);
        const up = newId();
        await db.execute(sql`INSERT INTO uploads (id, owner_id, filename, content_type, size, sha256, attached_at) VALUES (${up}::uuid, ${users[0]}::uuid, 'f.txt', 'text/plain', ${data.length}, ${sha}, now())`);
        await db.execute(sql`INSERT INTO message_attachments (message_id, upload_id, position) VALUES (${m.id}::uuid, ${up}::uuid, 0)`);
      }
    }
    // A kept upload of the shared bytes (never attached, not swept here): its file must stay.
    const shared = Buffer.from('file shared');
    const sharedSha = (await import('node:crypto')).createHash('sha256').update(shared).digest('hex');
    await db.execute(sql`INSERT INTO uploads (id, owner_id, filename, content_type, size, sha256) VALUES (${newId()}::uuid, ${users[1]}::uuid, 'keep.txt', 'text/plain', ${shared.length}, ${sharedSha})`);
    await db.execute(sql`INSERT INTO settings (key, value) VALUES ('site_settings', '{"signupMode":"open","allowedEmailDomains":[],"retentionDays":30}')`);

    const retention = new RetentionService(
      db,
      repositories(db),
      { ephemeral: () => undefined },
      { get: async () => ({ signupMode: 'open', allowedEmailDomains: [], retentionDays: 30, linkPreviews: true }) },
      blobs,
      logger,
      { intervalMs: null, batchSize },
    );
    const summary = await retention.runOnce();
    const sharedKept = await blobs.exists(sharedSha);
    // The hourly run that follows, with nothing left to purge: from the floor the first run left,
    // and (the baseline) from seq 0, walking every tombstone as runs did before the floor.
    const mean = async (times: number): Promise<number> => {
      let ms = 0;
      for (let i = 0; i < times; i++) ms += (await retention.runOnce()).ms;
      return ms / times;
    };
    const nextRunMs = await mean(5);
    await db.execute(sql`UPDATE conversations SET retention_floor_seq = 0`);
    const baselineMs = await mean(1);
    await db.execute(sql`UPDATE conversations SET retention_floor_seq = 0`);
    const baselineAgainMs = await mean(1);
    process.stdout.write(
      `${JSON.stringify({
        command: `node --import tsx bench/retention-purge.ts ${total} ${convCount} ${batchSize}`,
        messages: summary.messages,
        conversations: summary.conversations,
        batches: summary.batches,
        uploads: summary.uploads,
        files: summary.files,
        sharedFileKept: sharedKept,
        seconds: summary.ms / 1000,
        perSecond: Math.round(summary.messages / (summary.ms / 1000)),
        nextRunFromFloorMs: Math.round(nextRunMs),
        nextRunFromSeq0BaselineMs: Math.round((baselineMs + baselineAgainMs) / 2),
      })}\n`,
    );
  } finally {
    await database.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${String(err instanceof Error ? err.stack : err)}\n`);
  process.exit(1);
});
