/**
 * The message list as rows: one per message (with the system lines, day divider and "new
 * messages" divider that stand before it, so a divider is always right before its message), then
 * the lines after the last one, the pending messages, and the list's head and foot. The list
 * renders all rows, or (a long conversation) only those near the view: see message-list.tsx.
 */
import type { Message } from '../../../src/client/index.js';
import { dayKey } from '../format.js';
import type { PendingMessage, SystemEvent } from '../store/types.js';

const GROUP_GAP_MS = 5 * 60 * 1000;

/**
 * Loaded messages above which only the rows near the view are in the page: below it, a list is
 * cheap to render whole, and whole it keeps the page's find (Ctrl+F) and plain DOM order simple.
 */
export const VIRTUAL_FROM = 250;

/** A system line with its text (already in the reader's language). */
export interface LineEntry {
  event: SystemEvent;
  text: string;
}

export type Row =
  | { kind: 'start'; key: string }
  | { kind: 'loading'; key: string }
  | { kind: 'message'; key: string; message: Message; lines: LineEntry[]; newDay: boolean; divider: boolean; grouped: boolean }
  | { kind: 'lines'; key: string; lines: LineEntry[] }
  | { kind: 'more-below'; key: string }
  | { kind: 'pending'; key: string; pending: PendingMessage; grouped: boolean }
  | { kind: 'empty'; key: string };

export interface RowsInput {
  messages: readonly Message[];
  pending: readonly PendingMessage[];
  lines: readonly LineEntry[];
  meId: string;
  firstUnread: string | undefined;
  showStart: boolean;
  loading: boolean;
  /** The seq after which lines are not shown (newer messages not loaded), or null. */
  loadedThrough: number | null;
  showEmpty: boolean;
}

interface Prev {
  senderId: string;
  day: string;
  ms: number;
  deleted: boolean;
}

interface When {
  day: string;
  ms: number;
}

/** Each message's day and time, parsed once (messages are immutable: an edit is a new object). */
const whenCache = new WeakMap<Message, When>();
function whenOf(m: Message): When {
  let when = whenCache.get(m);
  if (!when) {
    when = { day: dayKey(m.createdAt), ms: Date.parse(m.createdAt) };
    whenCache.set(m, when);
  }
  return when;
}

function isGrouped(prev: Prev | null, senderId: string, when: When): boolean {
  if (!prev || prev.deleted || prev.senderId !== senderId) return false;
  if (prev.day !== when.day) return false;
  return when.ms - prev.ms < GROUP_GAP_MS;
}

/** The rows of a list, in order, each with a key that stays with its message across pages. */
export function buildRows(input: RowsInput): Row[] {
  const rows: Row[] = [];
  if (input.showStart) rows.push({ kind: 'start', key: 'start' });
  if (input.loading) rows.push({ kind: 'loading', key: 'loading' });
  let lineAt = 0;
  const linesBefore = (seq: number): LineEntry[] => {
    const from = lineAt;
    while (lineAt < input.lines.length && input.lines[lineAt]!.event.seq < seq) lineAt++;
    return from === lineAt ? [] : input.lines.slice(from, lineAt);
  };
  let prev: Prev | null = null;
  let prevDay = '';
  for (const m of input.messages) {
    const when = whenOf(m);
    const newDay = when.day !== prevDay;
    const divider = m.id === input.firstUnread;
    const lines = linesBefore(m.seq);
    const grouped = !newDay && !divider && lines.length === 0 && isGrouped(prev, m.senderId, when);
    prevDay = when.day;
    prev = { senderId: m.senderId, day: when.day, ms: when.ms, deleted: m.deletedAt !== null };
    rows.push({ kind: 'message', key: m.id, message: m, lines, newDay, divider, grouped });
  }
  const tail = linesBefore(input.loadedThrough ?? Number.MAX_SAFE_INTEGER);
  if (tail.length > 0) rows.push({ kind: 'lines', key: 'tail-lines', lines: tail });
  if (input.loadedThrough !== null) rows.push({ kind: 'more-below', key: 'more-below' });
  for (const p of input.pending) {
    const when = { day: dayKey(p.createdAt), ms: Date.parse(p.createdAt) };
    const grouped = isGrouped(prev, input.meId, when);
    prev = { senderId: input.meId, day: when.day, ms: when.ms, deleted: false };
    rows.push({ kind: 'pending', key: `pending-${p.clientMsgId}`, pending: p, grouped });
  }
  if (input.showEmpty) rows.push({ kind: 'empty', key: 'empty' });
  return rows;
}

const sameLines = (a: readonly LineEntry[], b: readonly LineEntry[]) => a.length === b.length && a.every((l, i) => l.event === b[i]!.event && l.text === b[i]!.text);
const samePending = (a: readonly PendingMessage[], b: readonly PendingMessage[]) => a.length === b.length && a.every((p, i) => p === b[i]);
function sameInput(a: RowsInput, b: RowsInput): boolean {
  return (
    a.meId === b.meId &&
    a.firstUnread === b.firstUnread &&
    a.showStart === b.showStart &&
    a.loading === b.loading &&
    a.loadedThrough === b.loadedThrough &&
    a.showEmpty === b.showEmpty &&
    sameLines(a.lines, b.lines) &&
    samePending(a.pending, b.pending)
  );
}

/** The last rows built for each array of messages: a conversation opened again reuses them. */
const rowsCache = new WeakMap<readonly Message[], { input: RowsInput; rows: Row[]; index: Map<string, number> }>();

/**
 * buildRows, reusing the rows last built from the same messages when the rest of the input is the
 * same too (switching back to a loaded conversation of 10,000 messages builds nothing), with the
 * rows' index by key.
 */
export function rowsFor(input: RowsInput): { rows: Row[]; index: Map<string, number> } {
  const hit = rowsCache.get(input.messages);
  if (hit && sameInput(hit.input, input)) return hit;
  const rows = buildRows(input);
  const built = { input, rows, index: new Map(rows.map((r, i) => [r.key, i])) };
  rowsCache.set(input.messages, built);
  return built;
}

const estimates = new WeakMap<Row, number>();

/** A first guess at a row's height in pixels, until it is rendered and measured. */
export function estimateRow(row: Row | undefined): number {
  if (!row) return 40;
  let estimate = estimates.get(row);
  if (estimate === undefined) {
    estimate = estimateOf(row);
    estimates.set(row, estimate);
  }
  return estimate;
}

function estimateOf(row: Row): number {
  switch (row.kind) {
    case 'message': {
      const body = row.message.body.length;
      const text = 22 * Math.min(12, 1 + Math.floor(body / 90) + (row.message.body.match(/\n/g)?.length ?? 0));
      const extras = (row.message.attachments.length + (row.message.previews?.length ?? 0)) * 120 + (row.message.reactions.length > 0 ? 30 : 0);
      const before = row.lines.length * 32 + (row.newDay ? 34 : 0) + (row.divider ? 34 : 0);
      return before + (row.grouped ? 8 : 32) + text + extras;
    }
    case 'lines':
      return row.lines.length * 32;
    case 'pending':
      return row.grouped ? 30 : 54;
    default:
      return 40;
  }
}
