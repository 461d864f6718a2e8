/**
 * A long conversation written straight into the tables (thousands of sends through the API would
 * take minutes): for the long-list browser test and the timeline bench. Bodies vary (plain
 * lines, several paragraphs, Markdown lists and code blocks, Chinese), so rows differ in height.
 */
import { eq, sql } from 'drizzle-orm';
import { newId } from '../../src/core/ids.js';
import type { Db } from '../../src/db/database.js';
import { conversations, messages } from '../../src/db/schema.js';

/** The body of the n-th bulk message (1-based): its number is in it, so a test can find it. */
export function bulkBody(n: number): string {
  switch (n % 7) {
    case 0:
      return `Message ${n}: 第 ${n} 条消息，今天的进度。`;
    case 1:
      return `Message ${n}\n\nA second paragraph with **bold** and \`code\`, and a third line that goes on for a while so that it wraps on a narrow screen.`;
    case 2:
      return `Message ${n}\n- one\n- two\n- three`;
    case 3:
      return `Message ${n}\n\`\`\`ts\nconst n = ${n};\nconsole.log(n * 2);\n\`\`\``;
    default:
      return `Message ${n}`;
  }
}

/**
 * Inserts messages seq `from`..`from + count - 1` of a conversation, senders taking turns every
 * three messages, a minute apart from `start`; then moves the conversation's last seq up to the last.
 */
export async function insertBulkMessages(db: Db, opts: { conversationId: string; senderIds: string[]; from: number; count: number; start: Date }): Promise<void> {
  const { conversationId, senderIds, from, count, start } = opts;
  for (let i = 0; i < count; i += 2000) {
    const rows = Array.from({ length: Math.min(2000, count - i) }, (_, k) => {
      const seq = from + i + k;
      return {
        id: newId(),
        conversationId,
        seq,
        senderId: senderIds[Math.floor(seq / 3) % senderIds.length]!,
        body: bulkBody(seq),
        createdAt: new Date(start.getTime() + (i + k) * 60_000),
      };
    });
    await db.insert(messages).values(rows);
  }
  const last = from + count - 1;
  await db
    .update(conversations)
    .set({ lastSeq: sql`greatest(${conversations.lastSeq}, ${last})` })
    .where(eq(conversations.id, conversationId));
}
