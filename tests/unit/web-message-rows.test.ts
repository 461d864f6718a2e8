/**
 * The web client's message rows (web/src/components/message-rows.ts): grouping of one sender's
 * consecutive messages, day and "new messages" dividers, and the cache that lets a conversation
 * opened again reuse its rows (switching to a loaded conversation of 10,000 messages) while any
 * change of what the rows show builds them afresh.
 */
import { describe, expect, it } from 'vitest';
import type { Message } from '../../src/client/index.js';
import type { PendingMessage } from '../../web/src/store/types.js';
import { buildRows, estimateRow, rowsFor, type RowsInput } from '../../web/src/components/message-rows.js';

function message(seq: number, minute: number, over: Partial<Message> = {}): Message {
  return {
    id: `m${seq}`, conversationId: 'c', seq, senderId: 'bob', clientMsgId: null, body: `message ${seq}`, replyTo: null, threadId: null,
    alsoInConversation: false, thread: null, mentions: [], attachments: [], reactions: [],
    createdAt: new Date(Date.UTC(2026, 11, 4, 10, minute)).toISOString(), editedAt: null, deletedAt: null,
    ...over,
  };
}

const input = (messages: readonly Message[], over: Partial<RowsInput> = {}): RowsInput => ({
  messages, pending: [], lines: [], meId: 'me', firstUnread: undefined, showStart: true, loading: false, loadedThrough: null, showEmpty: false,
  ...over,
});

const grouping = (rows: ReturnType<typeof buildRows>) => rows.flatMap((r) => (r.kind === 'message' ? [`${r.key}${r.grouped ? ' grouped' : ''}${r.divider ? ' divider' : ''}`] : []));

describe('message rows', () => {
  it('groups one sender within five minutes, and breaks at another sender, a gap, a deletion and the new-messages divider', () => {
    const messages = [
      message(1, 0),
      message(2, 1),
      message(3, 2, { senderId: 'ann' }),
      message(4, 3, { senderId: 'ann' }),
      message(5, 20, { senderId: 'ann' }),
      message(6, 21, { senderId: 'ann', deletedAt: '2026-12-04T10:22:00.000Z' }),
      message(7, 22, { senderId: 'ann' }),
      message(8, 23, { senderId: 'ann' }),
    ];
    expect(grouping(buildRows(input(messages, { firstUnread: 'm8' })))).toEqual(['m1', 'm2 grouped', 'm3', 'm4 grouped', 'm5', 'm6 grouped', 'm7', 'm8 divider']);
  });

  it('puts a day divider before the first message of each day, in local time', () => {
    const late = message(1, 0, { createdAt: new Date(2026, 11, 4, 23, 58).toISOString() });
    const early = message(2, 0, { createdAt: new Date(2026, 11, 5, 0, 1).toISOString() });
    const rows = buildRows(input([late, early]));
    expect(rows.flatMap((r) => (r.kind === 'message' ? [[r.key, r.newDay, r.grouped]] : []))).toEqual([
      ['m1', true, false],
      ['m2', true, false],
    ]);
  });

  it('groups a pending message under the own last message', () => {
    const mine = message(1, 0, { senderId: 'me' });
    const pending: PendingMessage = {
      clientMsgId: 'p1', conversationId: 'c', body: 'sending', replyTo: null, threadId: null, alsoInConversation: false, files: [],
      createdAt: new Date(Date.parse(mine.createdAt) + 60_000).toISOString(), status: 'sending', error: null,
    };
    const rows = buildRows(input([mine], { pending: [pending] }));
    expect(rows.at(-1)).toMatchObject({ kind: 'pending', grouped: true });
  });

  it('reuses the rows built from the same messages and input, and builds afresh when anything shown changes', () => {
    const messages = Array.from({ length: 300 }, (_, i) => message(i + 1, i));
    const first = rowsFor(input(messages));
    // A list mounted again makes a new input object with equal contents: the same rows.
    expect(rowsFor(input(messages))).toBe(first);
    expect(first.index.get('m300')).toBe(first.rows.findIndex((r) => r.key === 'm300'));
    expect(rowsFor(input(messages, { firstUnread: 'm299' })).rows).not.toBe(first.rows);
    expect(grouping(rowsFor(input(messages, { firstUnread: 'm299' })).rows).at(-2)).toBe('m299 divider');
    expect(rowsFor(input(messages, { loading: true })).rows[1]).toMatchObject({ kind: 'loading' });
    // A new message is a new array (the store never mutates one): new rows, with it.
    const more = [...messages, message(301, 301)];
    expect(rowsFor(input(more)).rows.at(-1)).toMatchObject({ key: 'm301' });
    // An edited message is a new object in a new array: its row shows the edit.
    const edited = messages.map((m) => (m.seq === 5 ? { ...m, body: 'edited' } : m));
    const row = rowsFor(input(edited)).rows.find((r) => r.key === 'm5');
    expect(row?.kind === 'message' && row.message.body).toBe('edited');
  });

  it('estimates a row once and the same every time', () => {
    const rows = buildRows(input([message(1, 0, { body: 'line\n'.repeat(5) })]));
    const row = rows.find((r) => r.kind === 'message');
    expect(estimateRow(row)).toBeGreaterThan(estimateRow(buildRows(input([message(1, 0)])).find((r) => r.kind === 'message')));
    expect(estimateRow(row)).toBe(estimateRow(row));
  });
});
