/**
 * Importing a Slack export (issue 22's target: 100,000 messages at ≥ 5,000 messages/s on PGlite,
 * memory bounded). Writes a BENCH_IMPORT_MESSAGES (100,000) message Slack-style export to disk
 * (50 people, 20 channels of per-day files, a thread every 10 messages, reactions, English and
 * Chinese), then imports it as `npm run admin -- import slack` does (ImportService: the check,
 * the people, each channel in one transaction), sampling the process's RSS meanwhile. Baseline,
 * in the same run and first: the same rows bulk-inserted as bench/load.ts does (messages with
 * their search terms and events, 5,000 per INSERT), with nothing read or checked.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { pino } from 'pino';
import { newId } from '../src/core/ids.js';
import { repositories } from '../src/db/repositories/index.js';
import { conversations, users } from '../src/db/schema.js';
import { searchTerms } from '../src/db/search-terms.js';
import { ImportService } from '../src/services/data/import.service.js';
import { SlackSource } from '../src/services/data/import/slack-source.js';
import { LocalBlobStore } from '../src/storage/blob-store.js';
import { slackMessage, writeSlackExport, type SlackMessage } from '../tests/helpers/import-exports.js';
import type { Scenario } from './lib.js';
import { insertBatches, loadMessages, rng, type NewMessage } from './load.js';

const TOTAL = Number(process.env.BENCH_IMPORT_MESSAGES ?? 100_000);
const PEOPLE = 50;
const CHANNELS = 20;
const PER_DAY = 200;
const WORDS = ['the', 'team', 'ships', 'a', 'build', 'today', 'review', 'meeting', 'notes', 'plan', 'deploy', '今天', '我们', '项目', '进度', '会议', '上线', '🎉', '🚀'];
const T0 = Date.UTC(2022, 0, 3, 8, 0, 0);
const DAY = 86_400_000;

interface Planned {
  folder: string;
  day: string;
  messages: SlackMessage[];
}

/** The export's day files, in order, made on demand (the same every run). */
function* plan(): Generator<Planned> {
  const r = rng(22);
  const text = () => Array.from({ length: 4 + Math.floor(r() * 14) }, () => WORDS[Math.floor(r() * WORDS.length)]).join(' ');
  const user = () => `U${String(Math.floor(r() * PEOPLE)).padStart(4, '0')}`;
  const perChannel = Math.ceil(TOTAL / CHANNELS);
  let left = TOTAL;
  for (let c = 0; c < CHANNELS && left > 0; c++) {
    let inChannel = Math.min(perChannel, left);
    left -= inChannel;
    for (let d = 0; inChannel > 0; d++) {
      const base = T0 + d * DAY;
      const messages: SlackMessage[] = [];
      for (let i = 0; messages.length < PER_DAY && inChannel > 0; i++) {
        const at = base + i * 30_000;
        const extra: Record<string, unknown> = i % 7 === 0 ? { reactions: [{ name: i % 14 === 0 ? 'thumbsup' : 'tada', users: [user(), user()], count: 2 }] } : {};
        const root = slackMessage(user(), at, text(), extra);
        messages.push(root);
        inChannel--;
        if (i % 10 === 0) {
          for (let k = 1; k <= 3 && inChannel > 0 && messages.length < PER_DAY; k++) {
            messages.push(slackMessage(user(), at + k * 1000, text(), { thread_ts: root.ts }));
            inChannel--;
          }
        }
      }
      yield { folder: `channel-${c}`, day: new Date(base).toISOString().slice(0, 10), messages };
    }
  }
}

function writeExport(file: string): void {
  const people = Array.from({ length: PEOPLE }, (_, k) => ({ id: `U${String(k).padStart(4, '0')}`, name: `person${k}`, realName: `Person ${k} 同事`, email: `person${k}@example.com` }));
  const channels = Array.from({ length: CHANNELS }, (_, c) => ({ id: `C${c}`, name: `channel-${c}`, creator: 'U0000', members: people.map((p) => p.id), created: T0 / 1000 - 100 }));
  // One day file in memory at a time: plan() yields them in the order the folders are written.
  const days = plan();
  let pending = days.next();
  writeSlackExport(file, { users: people, channels }, function* (folder) {
    while (!pending.done && pending.value.folder === folder) {
      yield [pending.value.day, pending.value.messages] as [string, SlackMessage[]];
      pending = days.next();
    }
  });
}

/** Peak RSS (the process, PGlite's WebAssembly memory included) and JS heap while `fn` runs, sampled every 50 ms. */
async function withPeakRss<T>(fn: () => Promise<T>): Promise<{ result: T; peak: number; heap: number }> {
  let peak = process.memoryUsage.rss();
  let heap = process.memoryUsage().heapUsed;
  const sample = (): void => {
    peak = Math.max(peak, process.memoryUsage.rss());
    heap = Math.max(heap, process.memoryUsage().heapUsed);
  };
  const timer = setInterval(sample, 50);
  try {
    const result = await fn();
    sample();
    return { result, peak, heap };
  } finally {
    clearInterval(timer);
  }
}

const mb = (b: number): string => `${Math.round(b / 2 ** 20)} MB`;

export const importScenario: Scenario = {
  name: 'import',
  describe: `a ${TOTAL.toLocaleString('en')}-message Slack export imported (target ≥ 5,000 messages/s on PGlite, memory bounded), beside the same rows bulk-inserted (bench/load.ts)`,
  async run(ctx) {
    const db = ctx.database.db;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-bench-import-'));
    try {
      const file = path.join(dir, 'slack-export.zip');
      let t = performance.now();
      writeExport(file);
      ctx.log(`  wrote ${file}: ${mb(fs.statSync(file).size)} in ${((performance.now() - t) / 1000).toFixed(1)} s`);

      // Baseline: the same messages as rows, straight into the tables (no check, no people, no threads).
      const baseUsers = Array.from({ length: PEOPLE }, (_, k) => ({ id: newId(), username: `base_${k}_${Date.now()}`, displayName: `Base ${k}` }));
      await insertBatches(db, users, baseUsers);
      const convIds = Array.from({ length: CHANNELS }, () => newId());
      await insertBatches(db, conversations, convIds.map((id, c) => ({ id, kind: 'group' as const, name: `baseline-${c}`, visibility: 'public' as const })));
      const seqs = new Map<string, number>();
      const rows = (function* (): Generator<NewMessage> {
        for (const day of plan()) {
          const conversationId = convIds[Number(day.folder.slice('channel-'.length))]!;
          // Slack's order within a day is by ts; plan() writes roots and replies in that order.
          for (const m of [...day.messages].sort((a, b) => (a.ts < b.ts ? -1 : 1))) {
            const seq = (seqs.get(conversationId) ?? 0) + 1;
            seqs.set(conversationId, seq);
            const body = String(m.text);
            const [sec, frac] = m.ts.split('.');
            yield { id: newId(), conversationId, seq, senderId: baseUsers[Number(String(m.user).slice(1))]!.id, body, searchTerms: searchTerms(body), createdAt: new Date(Number(sec) * 1000 + Math.floor(Number(frac) / 1000)) };
          }
        }
      })();
      t = performance.now();
      const base = await withPeakRss(() => loadMessages(db, TOTAL, () => rows.next().value as NewMessage, { events: true }));
      const baseSeconds = (performance.now() - t) / 1000;

      const blobs = new LocalBlobStore(path.join(dir, 'uploads'));
      const service = new ImportService(db, repositories(db), blobs, pino({ level: 'silent' }));
      let checkedAt = 0;
      const rssBefore = process.memoryUsage.rss();
      const heapBefore = process.memoryUsage().heapUsed;
      t = performance.now();
      const started = t;
      const run = await withPeakRss(() =>
        service.run(new SlackSource(file), (p) => {
          if (p.phase === 'importing' && checkedAt === 0) checkedAt = performance.now();
        }),
      );
      const seconds = (performance.now() - t) / 1000;
      const s = run.result;
      ctx.log(`  imported: ${s.messages.toLocaleString('en')} messages, ${s.threads.toLocaleString('en')} threads, ${s.reactions.toLocaleString('en')} reactions, ${s.usersCreated} people, ${s.conversationsCreated} channels`);
      // A second run finds everything there.
      t = performance.now();
      const again = await service.run(new SlackSource(file));
      const againSeconds = (performance.now() - t) / 1000;
      return [
        {
          what: 'import slack (check + people + history)',
          messages: s.messages,
          seconds: seconds.toFixed(1),
          'messages/s': Math.round(s.messages / seconds),
          'check s': ((checkedAt - started) / 1000).toFixed(1),
          'RSS before': mb(rssBefore),
          'peak RSS': mb(run.peak),
          'heap before': mb(heapBefore),
          'peak heap': mb(run.heap),
        },
        { what: 'the same run again (adds nothing)', messages: again.messages, seconds: againSeconds.toFixed(1), 'messages/s': '', 'check s': '', 'RSS before': '', 'peak RSS': '', 'heap before': '', 'peak heap': '' },
        { what: 'baseline: the same rows bulk-inserted (bench/load.ts)', messages: TOTAL, seconds: baseSeconds.toFixed(1), 'messages/s': Math.round(TOTAL / baseSeconds), 'check s': '', 'RSS before': '', 'peak RSS': mb(base.peak), 'heap before': '', 'peak heap': mb(base.heap) },
      ];
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
};
