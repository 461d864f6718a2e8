/**
 * The web client's message list in Chromium (issue 21): a conversation of BENCH_TIMELINE_MESSAGES
 * (10,000) loaded messages scrolled from the bottom to the top, frame times from
 * requestAnimationFrame deltas (target: under 16 ms on average); and switching between two
 * conversations already loaded (the long one and one of 1,000), time from the click to the frame
 * after the new timeline is in the page (target: at most 100 ms). The baseline is the same run
 * with the list drawn whole, the way it was before it was virtualized (localStorage
 * parley.virtualList=off). Chromium runs with its frame rate unlimited, so a frame's delta is the
 * work it took, not the display's 16.7 ms. The server runs in this process on CPU 0, Chromium on
 * CPU 1 (taskset), when taskset is there.
 */
import { writeFile } from 'node:fs/promises';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { ParleyApp } from '../src/app.js';
import { WEB_DIST } from '../src/web/paths.js';
import { insertBulkMessages } from '../tests/helpers/bulk-messages.js';
import { startTestServer, type TestServer } from '../tests/helpers/ws.js';
import type { Scenario } from './lib.js';
import { ALL_CPUS, pin } from './procs.js';

const LONG = Number(process.env.BENCH_TIMELINE_MESSAGES ?? 10_000);
const SHORT = 1_000;
const SWITCHES = Number(process.env.BENCH_TIMELINE_SWITCHES ?? 10);
/** Pixels scrolled up each frame. */
const STEP = Number(process.env.BENCH_TIMELINE_STEP ?? 300);
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** Another build of the client (e.g. `npx vite build --config src/web/vite.config.ts --minify false --outDir /tmp/web-plain`, for readable profiles). */
const DIST = process.env.BENCH_TIMELINE_WEB_DIST ?? WEB_DIST;
/** `virtualized` skips the baseline (the whole list takes minutes to load). */
const MODES = (process.env.BENCH_TIMELINE_MODES ?? 'virtualized,whole').split(',');
/** A file to write Chromium's CPU profile of the switches to (open it in DevTools' Performance panel). */
const PROFILE = process.env.BENCH_TIMELINE_PROFILE;

interface Setup {
  server: TestServer;
  token: string;
  userId: string;
  long: string;
  short: string;
  /** The newest seq of each. */
  heads: Record<string, number>;
}

async function setUp(): Promise<Setup> {
  const server = await startTestServer({ RATE_LIMIT: 'off', LOG_LEVEL: 'warn' }, { web: { distDir: DIST } });
  const app = server.app as ParleyApp;
  const reg = async (username: string, displayName: string) => {
    const res = await app.inject({ method: 'POST', url: '/api/v1/auth/register', payload: { username: `${username}_${Date.now()}`, password: 'bench-password-1', displayName } });
    return res.json() as { user: { id: string }; token: string };
  };
  const reader = await reg('reader', 'Reader 读者');
  const writer = await reg('writer', 'Writer 作者');
  const group = async (name: string) =>
    (
      (await app.inject({ method: 'POST', url: '/api/v1/groups', headers: { authorization: `Bearer ${writer.token}` }, payload: { name, memberIds: [reader.user.id] } })).json() as {
        id: string;
      }
    ).id;
  const long = await group('Long 长');
  const short = await group('Short 短');
  const heads: Record<string, number> = {};
  for (const [id, count] of [
    [long, LONG],
    [short, SHORT],
  ] as const) {
    const head = (await app.inject({ method: 'GET', url: `/api/v1/conversations/${id}`, headers: { authorization: `Bearer ${writer.token}` } })).json() as { lastSeq: number };
    await insertBulkMessages(server.database.db, { conversationId: id, senderIds: [writer.user.id, reader.user.id], from: head.lastSeq + 1, count, start: new Date(Date.now() - (count + 10) * 60_000) });
    await app.inject({ method: 'POST', url: `/api/v1/conversations/${id}/read`, headers: { authorization: `Bearer ${reader.token}` }, payload: { seq: head.lastSeq + count } });
    heads[id] = head.lastSeq + count;
  }
  const session = await app.services.accounts.openSession(reader.user.id, { userAgent: 'bench', ip: '127.0.0.1', cookie: true });
  return { server, token: session, userId: reader.user.id, long, short, heads };
}

function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-dev-shm-usage', '--disable-frame-rate-limit', '--disable-gpu-vsync'],
  });
}

/** Opens a conversation and scrolls to its top, page after page, until the whole history is loaded. */
async function loadAll(page: Page, id: string): Promise<number> {
  const started = performance.now();
  await page.locator(`[data-testid="inbox-item"][data-conversation-id="${id}"]`).click();
  await page.locator(`[data-testid="conversation"][data-conversation-id="${id}"] [data-testid="message"]`).first().waitFor();
  await page.evaluate(`(async () => {
    const list = document.querySelector('[data-testid="message-list"]');
    const frame = () => new Promise((r) => requestAnimationFrame(r));
    for (let i = 0; i < 100000 && !document.querySelector('[data-testid="history-start"]'); i++) {
      list.scrollTop = 0;
      await frame();
    }
  })()`);
  return performance.now() - started;
}

/** Scrolls the open list from the bottom to the top, STEP px a frame; returns the frames' durations. */
async function scrollUp(page: Page): Promise<number[]> {
  return page.evaluate(`(async () => {
    const list = document.querySelector('[data-testid="message-list"]');
    const frame = () => new Promise((r) => requestAnimationFrame(r));
    list.scrollTop = list.scrollHeight;
    for (let i = 0; i < 10; i++) await frame();
    const deltas = [];
    let last = await frame();
    while (list.scrollTop > 0) {
      list.scrollTop -= ${STEP};
      const now = await frame();
      deltas.push(now - last);
      last = now;
    }
    return deltas;
  })()`);
}

/** Clicks a conversation in the inbox; ms until the frame after its newest message is in the page. */
async function switchTo(page: Page, id: string, lastSeq: number): Promise<number> {
  const selector = `[data-testid="conversation"][data-conversation-id="${id}"] [data-testid="message"][data-seq="${lastSeq}"]`;
  return page.evaluate(`(async () => {
    const frame = () => new Promise((r) => requestAnimationFrame(r));
    await frame();
    const t0 = performance.now();
    document.querySelector('[data-testid="inbox-item"][data-conversation-id="${id}"]').click();
    while (!document.querySelector(${JSON.stringify(selector)})) await frame();
    // The frame that has it is painted after this callback: the next one starts after that paint.
    return (await frame()) - t0;
  })()`);
}

const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return { mean: s.reduce((a, b) => a + b, 0) / s.length, p95: s[Math.min(s.length - 1, Math.floor(0.95 * s.length))]!, max: s.at(-1)! };
};

export const timelineScenario: Scenario = {
  name: 'timeline',
  describe: `the web client in Chromium: ${LONG.toLocaleString('en')} loaded messages scrolled bottom to top (target: frames under 16 ms on average), switching between two loaded conversations (target: at most 100 ms to a painted timeline); baseline: the list drawn whole`,
  async run(ctx) {
    const setup = await setUp();
    const pinned = pin(process.pid, '1');
    const browser = await launch();
    // Chromium (started on CPU 1) stays there; this process, the server, goes to CPU 0.
    if (pinned) pin(process.pid, '0');
    ctx.log(pinned ? '  pinned: server (this process) on CPU 0, Chromium on CPU 1' : '  taskset failed: NOT pinned');
    const rows: Record<string, string | number>[] = [];
    try {
      const heads = setup.heads;
      for (const mode of (['virtualized', 'whole (baseline)'] as const).filter((m) => MODES.includes(m.split(' ')[0]!))) {
        const context = await browser.newContext({ baseURL: setup.server.httpUrl, viewport: { width: 1280, height: 800 }, locale: 'en-US' });
        await context.addCookies([{ name: 'parley_session', value: setup.token, domain: '127.0.0.1', path: '/', expires: -1, httpOnly: true, secure: false, sameSite: 'Strict' }]);
        if (mode !== 'virtualized') await context.addInitScript({ content: "localStorage.setItem('parley.virtualList', 'off')" });
        const page = await context.newPage();
        page.setDefaultTimeout(600_000);
        await page.goto('/');
        await page.locator('[data-testid="connection-state"][data-state="online"]').waitFor();
        const loadShort = await loadAll(page, setup.short);
        const loadLong = await loadAll(page, setup.long);
        const inPage = await page.locator('[data-testid="message"]').count();
        ctx.log(`  ${mode}: loaded ${LONG.toLocaleString('en')} in ${(loadLong / 1000).toFixed(1)} s and ${SHORT.toLocaleString('en')} in ${(loadShort / 1000).toFixed(1)} s; ${inPage} message elements in the page`);
        const frames = stats(await scrollUp(page));
        const toShort: number[] = [];
        const toLong: number[] = [];
        const cdp = PROFILE && mode === 'virtualized' ? await context.newCDPSession(page) : null;
        if (cdp) {
          await cdp.send('Profiler.enable');
          await cdp.send('Profiler.setSamplingInterval', { interval: 100 });
          await cdp.send('Profiler.start');
        }
        for (let i = 0; i < SWITCHES; i++) {
          toShort.push(await switchTo(page, setup.short, heads[setup.short]!));
          toLong.push(await switchTo(page, setup.long, heads[setup.long]!));
        }
        if (cdp) {
          const { profile } = await cdp.send('Profiler.stop');
          await writeFile(PROFILE!, JSON.stringify(profile));
          ctx.log(`  CPU profile of the switches: ${PROFILE}`);
        }
        ctx.log(`  switches to long (ms): ${toLong.map((x) => x.toFixed(0)).join(' ')}; to short: ${toShort.map((x) => x.toFixed(0)).join(' ')}`);
        const long = stats(toLong);
        const short = stats(toShort);
        rows.push({
          list: mode,
          'message elements': inPage,
          'scroll: frame ms mean': frames.mean.toFixed(1),
          'frame p95': frames.p95.toFixed(1),
          'frame max': frames.max.toFixed(0),
          'switch to long: ms mean': long.mean.toFixed(0),
          'long p95': long.p95.toFixed(0),
          'switch to short: ms mean': short.mean.toFixed(0),
          'short p95': short.p95.toFixed(0),
        });
        await context.close();
      }
    } finally {
      await browser.close();
      pin(process.pid, ALL_CPUS);
      await setup.server.close();
    }
    return rows;
  },
};
