import type { SyncFrame } from '../../protocol/frames.js';
import type { FrameHandler } from './context.js';

/**
 * `sync` → every event after each cursor, then `sync.done`. Bounded: at most `syncBudget` events
 * and about `syncBudgetBytes` bytes of them per frame; with `hasMore` the client syncs again
 * from where it got to. Conversations the user
 * may not read are listed in `skipped`.
 */
export const sync: FrameHandler<SyncFrame> = async (conn, frame, ctx) => {
  const requested = Object.entries(frame.cursors);
  // Hold live events of every requested conversation before anything is awaited.
  const pausedHere = requested.filter(([id]) => !conn.isPaused(id)).map(([id]) => id);
  for (const [id] of requested) conn.pause(id);
  let allowed: Map<string, number>;
  try {
    // Each allowed conversation with the first seq the user may read (a group may show members
    // only what came after they joined).
    allowed = await ctx.services.conversations.readFloors(conn.actor, requested.map(([id]) => id));
  } catch (err) {
    // Refused before replaying anything (the database is away): the client gets the error and
    // syncs again later; meanwhile live events flow as before (gaps are filled from the table).
    for (const id of pausedHere) conn.resume(id);
    throw err;
  }
  const skipped = requested.filter(([id]) => !allowed.has(id)).map(([id]) => id);
  const todo = requested.filter(([id]) => allowed.has(id));
  // Not a member (yet): nothing to replay, and if the user joins later its events must flow.
  for (const id of skipped) conn.resume(id);
  let budget = ctx.syncBudget;
  let bytes = ctx.syncBudgetBytes;
  let hasMore = false;
  for (const [id, cursor] of todo) {
    if (budget <= 0 || bytes <= 0) {
      // Its live events stay held: the client's next sync (hasMore) replays it.
      hasMore = true;
      continue;
    }
    const floor = allowed.get(id) ?? 0;
    const r = await conn.sync(id, Math.max(cursor, floor - 1), budget, bytes);
    budget -= r.sent;
    bytes -= r.bytes;
    hasMore ||= r.hasMore;
  }
  conn.send({ type: 'sync.done', ...(frame.id === undefined ? {} : { id: frame.id }), hasMore, ...(skipped.length ? { skipped } : {}) });
};
