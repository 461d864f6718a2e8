/**
 * Driver code shared by the crash tests (tests/process/chaos.test.ts, datadir-kill.test.ts): a
 * server process on a fixed port that can be killed and started again, senders that retry under
 * the same clientMsgId (REST and WebSocket), and the checks run afterwards. Knobs for the long
 * form (`npm run chaos`): CHAOS_KILLS, CHAOS_CLIENTS, CHAOS_SECONDS.
 */
import { randomUUID } from 'node:crypto';
import { afterEach } from 'vitest';
import { ChatClient } from './chat-client.js';
import { api, freePort, startServer, waitReady, type ServerProcess } from './process.js';
import type { Frame } from './ws.js';
import { sleep } from './kit.js';

export interface ChaosKnobs {
  kills: number;
  clients: number;
  /** Seconds of traffic between two kills, at most (each kill comes at a random moment in it). */
  seconds: number;
}

/** The CI form's sizes, overridden by CHAOS_KILLS, CHAOS_CLIENTS and CHAOS_SECONDS. */
export function chaosKnobs(defaults: ChaosKnobs): ChaosKnobs {
  const read = (name: string, fallback: number) => {
    const v = Number(process.env[name]);
    return Number.isFinite(v) && v > 0 ? v : fallback;
  };
  return { kills: read('CHAOS_KILLS', defaults.kills), clients: read('CHAOS_CLIENTS', defaults.clients), seconds: read('CHAOS_SECONDS', defaults.seconds) };
}

/** Test time limit for a run of these knobs: boots and restarts are slow on a loaded machine. */
export function chaosTimeoutMs(k: ChaosKnobs, perKillMs = 60_000): number {
  return 120_000 + k.kills * (perKillMs + k.seconds * 1000);
}

/**
 * One Parley process at a time on a fixed port, so clients reconnect to the same address: `kill`
 * is kill -9, `start` runs a new process on the same environment (same DATA_DIR or DATABASE_URL).
 * Killed after each test.
 */
export class CrashableServer {
  current: ServerProcess | null = null;
  readonly port: number;
  /** Output of every process so far, for failure messages. */
  private log = '';

  private constructor(
    private readonly env: Record<string, string>,
    port: number,
  ) {
    this.port = port;
  }

  static async create(env: Record<string, string>): Promise<CrashableServer> {
    const server = new CrashableServer(env, await freePort());
    live.add(server);
    return server;
  }

  get base(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get wsUrl(): string {
    return `ws://127.0.0.1:${this.port}/api/v1/ws`;
  }

  /** Starts a process (none may be running) and, unless told not to, waits for /readyz. */
  async start(opts: { wait?: boolean } = {}): Promise<ServerProcess> {
    if (this.current && this.current.child.exitCode === null && this.current.child.signalCode === null) throw new Error('a process is running already');
    const s = startServer(this.env, this.port);
    this.current = s;
    if (opts.wait !== false) await waitReady(s, 120_000);
    return s;
  }

  /** kill -9 of the running process; resolves once it is gone. */
  async kill(): Promise<void> {
    const s = this.current;
    if (!s) return;
    if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGKILL');
    await s.exited;
    this.log += s.output();
  }

  /** SIGTERM, and the exit code. */
  async stop(): Promise<number | string> {
    const s = this.current;
    if (!s) return 0;
    if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGTERM');
    const code = await s.exited;
    this.log += s.output();
    return code;
  }

  /** Every process's output so far, for failure messages. */
  output(): string {
    return this.log + (this.current?.output() ?? '');
  }
}

const live = new Set<CrashableServer>();
afterEach(async () => {
  for (const s of live) await s.kill();
  live.clear();
});

export interface Account {
  token: string;
  user: { id: string; username: string };
}

/** Registers `n` users and makes a group of them (the first one owns it). */
export async function chatRoom(server: { base: string }, n: number, prefix: string): Promise<{ accounts: Account[]; groupId: string }> {
  const target = server as ServerProcess;
  const accounts: Account[] = [];
  for (let i = 0; i < n; i++) {
    const r = await api(target, 'POST', '/auth/register', { username: `${prefix}${i}_${randomUUID().slice(0, 6)}`, password: 'correct horse' });
    if (r.status !== 201) throw new Error(`register: ${r.status} ${JSON.stringify(r.json)}`);
    accounts.push(r.json as Account);
  }
  const g = await api(target, 'POST', '/groups', { name: `${prefix} room`, memberIds: accounts.slice(1).map((a) => a.user.id) }, accounts[0]!.token);
  if (g.status !== 201) throw new Error(`group: ${g.status} ${JSON.stringify(g.json)}`);
  return { accounts, groupId: g.json.id as string };
}

/** What a sender saw: its acks, and how its attempts failed on the way. */
export interface SenderStats {
  /** Acked messages by clientMsgId. */
  acked: Map<string, Frame>;
  /** Failed attempts by kind: `net` (no answer), or the HTTP status and error code. */
  failures: Map<string, number>;
}

/**
 * A REST client that sends one message after another and retries each, under its clientMsgId,
 * until it gets 201 or 200 (a repeat): after a refused connection, a reset, a timeout or a 503.
 * Any other answer is recorded as a failure of that kind and the send is given up.
 */
export class RestSender implements SenderStats {
  readonly acked = new Map<string, Frame>();
  readonly failures = new Map<string, number>();
  /** Sends answered with something else than success or a retryable failure. */
  readonly refused: string[] = [];
  /** Sends answered 200: a retry of a send the server had stored though its answer was lost. */
  repeats = 0;
  private running = false;
  private loop: Promise<void> = Promise.resolve();

  constructor(
    private readonly base: () => string,
    private readonly token: string,
    private readonly conversationId: string,
    private readonly name: string,
  ) {}

  start(everyMs: number): this {
    this.running = true;
    this.loop = (async () => {
      for (let i = 0; this.running; i++) {
        await this.sendOne(`${this.name}-${i}-${randomUUID().slice(0, 8)}`, `${this.name} 消息 ${i} 🔁`);
        await sleep(everyMs * (0.5 + Math.random()));
      }
    })();
    return this;
  }

  /** Stops after the send in progress is acked (or given up). */
  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  private count(kind: string): void {
    this.failures.set(kind, (this.failures.get(kind) ?? 0) + 1);
  }

  private async sendOne(clientMsgId: string, body: string): Promise<void> {
    const deadline = Date.now() + 180_000;
    while (Date.now() < deadline) {
      let res: Response;
      try {
        res = await fetch(`${this.base()}/api/v1/conversations/${this.conversationId}/messages`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${this.token}` },
          body: JSON.stringify({ body, clientMsgId }),
          // Above the server's own bound on a database that does not answer (connect 10 s + stall 15 s).
          signal: AbortSignal.timeout(40_000),
        });
      } catch {
        this.count('net');
        await sleep(100 + Math.random() * 200);
        continue;
      }
      const text = await res.text().catch(() => '');
      if (res.status === 201 || res.status === 200) {
        if (res.status === 200) this.repeats++;
        this.acked.set(clientMsgId, JSON.parse(text) as Frame);
        return;
      }
      let code = '';
      try {
        code = (JSON.parse(text) as { error?: { code?: string } }).error?.code ?? '';
      } catch {
        // not JSON: recorded by status alone
      }
      this.count(`${res.status} ${code}`.trim());
      if (res.status !== 503) {
        this.refused.push(`${clientMsgId}: ${res.status} ${text.slice(0, 200)}`);
        return;
      }
      await sleep(100 + Math.random() * 200);
    }
    this.refused.push(`${clientMsgId}: not acked within 180 s`);
  }
}

/** The WebSocket sender of the chaos tests: the contract's model client (it implements SenderStats). */
export { ChatClient as WsSender };

/** WebSocket senders each add a message every `everyMs` (on average) while they have fewer than 5 unacked. */
export function wsTraffic(clients: ChatClient[], conversationId: string, everyMs: number): { stop(): Promise<void> } {
  let running = true;
  const loops = clients.map(async (c, n) => {
    for (let i = 0; running; i++) {
      if (c.pending.size < 5) c.send(conversationId, `ws${n} message ${i} 你好 🔁`);
      await sleep(everyMs * (0.5 + Math.random()));
    }
  });
  return {
    async stop() {
      running = false;
      await Promise.all(loops);
    },
  };
}

/** The whole events feed of a conversation, through REST, page by page. */
export async function eventsFeed(server: { base: string }, token: string, conversationId: string): Promise<Frame[]> {
  const events: Frame[] = [];
  let after = 0;
  for (;;) {
    const page = await api(server as ServerProcess, 'GET', `/conversations/${conversationId}/events?after=${after}&limit=100`, undefined, token);
    if (page.status !== 200) throw new Error(`events feed: ${page.status} ${JSON.stringify(page.json)}`);
    const got = page.json.events as Frame[];
    events.push(...got);
    if (!page.json.hasMore || got.length === 0) return events;
    after = got.at(-1)!.seq as number;
  }
}

export interface FeedCheck {
  lastSeq: number;
  messages: number;
  /** Seqs out of place: repeated, missing or out of order (expected 1, 2, 3, ...). */
  seqFaults: string[];
  /** clientMsgIds stored more than once. */
  duplicates: string[];
  /** Acked clientMsgIds absent from the feed. */
  lost: string[];
  /** Acked messages stored with another id or seq than their ack said. */
  mismatched: string[];
}

/** Compares a conversation's events feed with the acks the clients got. */
export function checkFeed(events: Frame[], acked: Map<string, Frame>): FeedCheck {
  const seqFaults: string[] = [];
  events.forEach((e, i) => {
    if (e.seq !== i + 1) seqFaults.push(`position ${i + 1} holds seq ${String(e.seq)}`);
  });
  const byClientMsgId = new Map<string, Frame[]>();
  for (const e of events) {
    if (e.type !== 'message.created') continue;
    const id = e.message.clientMsgId as string | null;
    if (id) byClientMsgId.set(id, [...(byClientMsgId.get(id) ?? []), e.message as Frame]);
  }
  const duplicates = [...byClientMsgId].filter(([, ms]) => ms.length > 1).map(([id]) => id);
  const lost: string[] = [];
  const mismatched: string[] = [];
  for (const [id, ack] of acked) {
    const stored = byClientMsgId.get(id);
    if (!stored) lost.push(id);
    else if (stored[0]!.id !== ack.id || stored[0]!.seq !== ack.seq) mismatched.push(`${id}: acked ${String(ack.id)}@${String(ack.seq)}, stored ${String(stored[0]!.id)}@${String(stored[0]!.seq)}`);
  }
  return { lastSeq: (events.at(-1)?.seq as number | undefined) ?? 0, messages: byClientMsgId.size, seqFaults, duplicates, lost, mismatched };
}

/** Every acked message of these senders, by clientMsgId. */
export function allAcked(senders: { acked: Map<string, Frame> }[]): Map<string, Frame> {
  const all = new Map<string, Frame>();
  for (const s of senders) for (const [id, m] of s.acked) all.set(id, m);
  return all;
}

/**
 * SQL checks of the whole database's integrity, for any query function (PGlite in the test, or
 * postgres.js). Each returns the offending rows; all empty is a consistent database. Sequential
 * scans only, so a damaged index cannot hide a duplicate.
 */
export const INTEGRITY_QUERIES: Record<string, string> = {
  'conversations.last_seq differs from the count or max(seq) of its events': `
    SELECT c.id, c.last_seq, e.n, e.max_seq FROM conversations c
    LEFT JOIN (SELECT conversation_id, count(*) AS n, max(seq) AS max_seq FROM conversation_events GROUP BY conversation_id) e ON e.conversation_id = c.id
    WHERE c.last_seq <> coalesce(e.max_seq, 0) OR c.last_seq <> coalesce(e.n, 0)`,
  'a seq held by two events': `SELECT conversation_id, seq, count(*) FROM conversation_events GROUP BY 1, 2 HAVING count(*) > 1`,
  'a seq held by two messages': `SELECT conversation_id, seq, count(*) FROM messages GROUP BY 1, 2 HAVING count(*) > 1`,
  'a clientMsgId stored twice by one sender': `SELECT conversation_id, sender_id, client_msg_id, count(*) FROM messages WHERE client_msg_id IS NOT NULL GROUP BY 1, 2, 3 HAVING count(*) > 1`,
  'a message without its message.created event': `
    SELECT m.id FROM messages m LEFT JOIN conversation_events e ON e.conversation_id = m.conversation_id AND e.seq = m.seq
    WHERE e.seq IS NULL OR e.type <> 'message.created' OR e.message_id <> m.id`,
  'a message.created event without its message': `
    SELECT e.conversation_id, e.seq FROM conversation_events e LEFT JOIN messages m ON m.id = e.message_id
    WHERE e.type = 'message.created' AND m.id IS NULL`,
  'a read pointer past the end': `SELECT m.conversation_id, m.user_id FROM members m JOIN conversations c ON c.id = m.conversation_id WHERE m.last_read_seq > c.last_seq`,
  'member_count differs from the members': `
    SELECT c.id FROM conversations c LEFT JOIN (SELECT conversation_id, count(*) AS n FROM members GROUP BY 1) m ON m.conversation_id = c.id
    WHERE c.member_count <> coalesce(m.n, 0)`,
};

/** Runs INTEGRITY_QUERIES with `query` (index scans off first) and returns the failures by name. */
export async function integrityFaults(query: (sql: string) => Promise<unknown[]>): Promise<Record<string, unknown[]>> {
  await query('SET enable_indexscan = off');
  await query('SET enable_bitmapscan = off');
  await query('SET enable_indexonlyscan = off');
  const faults: Record<string, unknown[]> = {};
  for (const [name, sql] of Object.entries(INTEGRITY_QUERIES)) {
    const rows = await query(sql);
    if (rows.length > 0) faults[name] = rows.slice(0, 5);
  }
  return faults;
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** Prints a run's figures as one block (the long form's output). */
export function printFigures(title: string, figures: Record<string, string | number>): void {
  const width = Math.max(...Object.keys(figures).map((k) => k.length));
  const lines = Object.entries(figures).map(([k, v]) => `  ${k.padEnd(width)}  ${v}`);
  process.stdout.write(`\n${title}\n${lines.join('\n')}\n`);
}

/** Counts failures by kind over several senders (REST) as "503 unavailable: 12, net: 40". */
export function failureSummary(senders: { failures: Map<string, number> }[]): string {
  const all = new Map<string, number>();
  for (const s of senders) for (const [k, n] of s.failures) all.set(k, (all.get(k) ?? 0) + n);
  return [...all].map(([k, n]) => `${k}: ${n}`).join(', ') || 'none';
}
