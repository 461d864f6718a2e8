/**
 * The node's sequencer with events that come without their member list (a large group's events
 * from another node over Redis): it routes them by the members it keeps, read once and followed
 * through the member.joined and member.left events it passes, including those of a filled gap.
 */
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/core/logger.js';
import type { ConversationEvent } from '../../src/protocol/events.js';
import { NodeSequencer } from '../../src/realtime/sequencer.js';
import { waitFor } from '../helpers/kit.js';

const logger = createLogger({ level: 'silent', logDir: null, pretty: false });
const C = '00000000-0000-4000-8000-00000000000c';

const message = (seq: number): ConversationEvent =>
  ({ type: 'message.created', conversationId: C, seq, createdAt: new Date().toISOString(), message: { id: `m${seq}` } }) as unknown as ConversationEvent;
const joined = (seq: number, userId: string): ConversationEvent =>
  ({ type: 'member.joined', conversationId: C, seq, createdAt: new Date().toISOString(), member: { user: { id: userId } } }) as unknown as ConversationEvent;
const left = (seq: number, userId: string): ConversationEvent =>
  ({ type: 'member.left', conversationId: C, seq, createdAt: new Date().toISOString(), member: { user: { id: userId } } }) as unknown as ConversationEvent;

function setup(opts: { members?: () => Promise<readonly string[]>; table?: ConversationEvent[] } = {}) {
  const out: { seq: number; to: string[] }[] = [];
  let memberReads = 0;
  let tableReads = 0;
  const table = opts.table ?? [];
  const seq = new NodeSequencer(
    async (_c, after, limit) => {
      tableReads++;
      const events = table.filter((e) => e.seq > after).slice(0, limit);
      return { events, hasMore: false };
    },
    (event, to) => out.push({ seq: event.seq, to: [...to].sort() }),
    logger,
    null,
    { holdMs: 5, fillPage: 100, maxHeld: 100, idleMs: 60_000 },
    async (id) => {
      memberReads++;
      expect(id).toBe(C);
      return (opts.members ?? (async () => ['alice', 'bob']))();
    },
  );
  return { seq, out, reads: () => ({ members: memberReads, table: tableReads }) };
}

const until = (pred: () => boolean): Promise<number> => waitFor(pred, 'the sequencer to get there', 2_000, 2);

describe('NodeSequencer: events without a member list', () => {
  it('reads the members once, then routes every unlisted event by them, in order', async () => {
    const { seq, out, reads } = setup();
    seq.push(message(1), null);
    seq.push(message(3), null);
    seq.push(message(2), null);
    await until(() => out.length === 3);
    seq.push(message(4), null);
    expect(out).toEqual([1, 2, 3, 4].map((s) => ({ seq: s, to: ['alice', 'bob'] })));
    expect(reads()).toEqual({ members: 1, table: 0 });
    seq.close();
  });

  it('keeps the list a listed event brings, and follows joins and leaves', () => {
    const { seq, out, reads } = setup();
    seq.push(message(1), ['alice', 'bob']);
    seq.push(message(2), null);
    seq.push(joined(3, 'carol'), ['alice', 'bob', 'carol']);
    seq.push(message(4), null);
    seq.push(left(5, 'alice'), ['bob', 'carol', 'alice']);
    seq.push(message(6), null);
    expect(out).toEqual([
      { seq: 1, to: ['alice', 'bob'] },
      { seq: 2, to: ['alice', 'bob'] },
      { seq: 3, to: ['alice', 'bob', 'carol'] },
      { seq: 4, to: ['alice', 'bob', 'carol'] },
      // The one who left hears of it, and nothing after.
      { seq: 5, to: ['alice', 'bob', 'carol'] },
      { seq: 6, to: ['bob', 'carol'] },
    ]);
    expect(reads().members).toBe(0);
    seq.close();
  });

  it('follows the joins and leaves of a gap it fills from the table', async () => {
    const table = [message(1), joined(2, 'carol'), left(3, 'bob'), message(4), message(5)];
    const { seq, out, reads } = setup({ table });
    seq.push(message(1), ['alice', 'bob']);
    // 2 to 4 are lost on the bus: 5 waits, then the node reads the gap once.
    seq.push(message(5), null);
    await until(() => out.length === 5);
    expect(out).toEqual([
      { seq: 1, to: ['alice', 'bob'] },
      { seq: 2, to: ['alice', 'bob', 'carol'] },
      { seq: 3, to: ['alice', 'bob', 'carol'] },
      { seq: 4, to: ['alice', 'carol'] },
      { seq: 5, to: ['alice', 'carol'] },
    ]);
    expect(reads()).toEqual({ members: 0, table: 1 });
    seq.close();
  });

  it('reads the members again after a bus reset (a lost join would leave the list wrong)', async () => {
    let members: readonly string[] = ['alice'];
    const { seq, out, reads } = setup({ members: async () => members });
    seq.push(message(1), null);
    await until(() => out.length === 1);
    members = ['alice', 'dave'];
    seq.flush();
    seq.push(message(2), null);
    await until(() => out.length === 2);
    expect(out).toEqual([
      { seq: 1, to: ['alice'] },
      { seq: 2, to: ['alice', 'dave'] },
    ]);
    expect(reads().members).toBe(2);
    seq.close();
  });

  it('skips what waits when the members cannot be read, and goes on with the next events', async () => {
    let fail = true;
    let failures = 0;
    const { seq, out } = setup({
      members: async () => {
        if (fail) {
          failures++;
          throw new Error('database away');
        }
        return ['alice'];
      },
    });
    seq.push(message(1), null);
    seq.push(message(2), null);
    await until(() => failures === 1);
    await new Promise((r) => setImmediate(r));
    expect(out).toEqual([]);
    fail = false;
    seq.push(message(3), null);
    await until(() => out.length === 1);
    // 1 and 2 went to no one: the connections fill them from the next event they get.
    expect(out).toEqual([{ seq: 3, to: ['alice'] }]);
    seq.close();
  });
});
