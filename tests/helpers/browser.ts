/**
 * End-to-end tests in a real browser: Debian's Chromium (its headless shell, or the desktop
 * browser where a test needs it) driven by playwright-core, against a
 * listening test app that serves the built web client (dist/web). `useE2e()` starts both for a
 * describe block and fails every test whose pages logged a console error or threw.
 */
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, type TestContext } from 'vitest';
import type { ParleyApp } from '../../src/app.js';
import { createLogger } from '../../src/core/logger.js';
import { ensureWebBuild } from '../../src/web/build.js';
import { webClientWithBuild } from '../../src/web/index.js';
import { REPO_ROOT, WEB_DIST } from '../../src/web/paths.js';
import { uniqueName, type Account } from './app.js';
import { startTestServer, type TestServer } from './ws.js';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/**
 * Chromium's headless shell (Debian's chromium-headless-shell, what Playwright itself runs for
 * headless tests): the same engine without the desktop browser's own UI renderers. The browser
 * tests took 41 % less CPU in it (tests/e2e and tests/web alone: 222.7 against 378.6 s, 221.8
 * against 431.5 s wall). The tests that need the desktop browser's own features (desktop
 * notifications) ask for it.
 */
export const HEADLESS_SHELL_PATH = process.env.CHROMIUM_HEADLESS_SHELL_PATH ?? process.env.CHROMIUM_PATH ?? '/usr/bin/chromium-headless-shell';
export const SCREENSHOT_DIR = path.join(REPO_ROOT, 'test-artifacts', 'screenshots');
const FAILURE_DIR = path.join(REPO_ROOT, 'test-artifacts', 'failures');
export const PASSWORD = 'correct horse battery';
/** A phone's viewport (iPhone 12-15). */
export const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 800 };
type Viewport = { width: number; height: number };

/**
 * dist/web, built when missing or older than its sources. The build lock of src/web/build.ts makes
 * every test process of a run wait for the one that builds, so the client is built once per run.
 * E2E_WEB_DIST=folder serves that build instead. Resolves the folder to serve.
 */
export async function ensureWebClientBuilt(): Promise<string> {
  // Another build to test (e.g. one made from changed sources elsewhere): served as it is.
  const given = process.env.E2E_WEB_DIST;
  if (given) {
    if (!fs.existsSync(path.join(given, 'index.html'))) throw new Error(`E2E_WEB_DIST=${given} has no index.html`);
    return given;
  }
  const { build } = webClientWithBuild();
  // Vite bundles React for whatever NODE_ENV the building process has, and vitest sets "test":
  // without this the tests (and later `npm start`) would get React's development build.
  const nodeEnv = process.env.NODE_ENV;
  process.env.NODE_ENV = 'production';
  try {
    await ensureWebBuild(WEB_DIST, build, createLogger({ level: 'error', logDir: null }));
  } finally {
    if (nodeEnv === undefined) delete process.env.NODE_ENV;
    else process.env.NODE_ENV = nodeEnv;
  }
  if (!fs.existsSync(path.join(WEB_DIST, 'index.html'))) throw new Error(`no web client build in ${WEB_DIST}`);
  return WEB_DIST;
}

/** Launches the headless shell, or the desktop browser (headless) with `{ desktop: true }`. */
export function launchChromium(opts: { desktop?: boolean } = {}): Promise<Browser> {
  // launch() makes a fresh temporary profile and removes it on close.
  return chromium.launch({
    executablePath: opts.desktop ? CHROMIUM_PATH : HEADLESS_SHELL_PATH,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
  });
}

/**
 * One browser of each kind per test process, shared by the files it runs one after another (their
 * workers keep this module: isolate false, vitest.config.ts). A launch costs about half a second of
 * CPU and starts a browser and a GPU process; every file's pages are contexts of their own, closed
 * after each test, so files share nothing else. A browser that died is launched again.
 */
const sharedBrowsers = new Map<'shell' | 'desktop', Promise<Browser>>();
function sharedChromium(opts: { desktop?: boolean }): Promise<Browser> {
  const kind = opts.desktop ? 'desktop' : 'shell';
  let launched = sharedBrowsers.get(kind);
  if (!launched) {
    launched = launchChromium(opts);
    sharedBrowsers.set(kind, launched);
    const forget = () => {
      if (sharedBrowsers.get(kind) === launched) sharedBrowsers.delete(kind);
    };
    launched.then((b) => b.on('disconnected', forget), forget);
  }
  return launched;
}

/** One user's browser: its own context (storage, network), one page, and what went wrong in it. */
export interface UserPage {
  label: string;
  context: BrowserContext;
  page: Page;
  /** Console errors and uncaught exceptions, as they came. */
  problems: string[];
  /** Console errors matching these are expected (e.g. failed connections while offline). */
  tolerated: RegExp[];
}

export interface E2e {
  readonly server: TestServer;
  readonly browser: Browser;
  /** A new context and page, signed in when `account` is given (a cookie session of its own, as a browser sign-in makes). */
  newPage(
    label: string,
    opts?: {
      account?: Account;
      viewport?: { width: number; height: number };
      locale?: string;
      /** Browser permissions granted to the page's origin (e.g. `notifications`). */
      permissions?: string[];
      /** A script run in every document of the context before the page's own (stubs, observers). */
      initScript?: string;
    },
  ): Promise<UserPage>;
}

/**
 * Starts a server with the web client and a browser for the enclosing describe block: the headless
 * shell, or the desktop Chromium with `{ desktop: true }` (desktop notifications: the shell keeps
 * their permission denied).
 *
 * The pages' service worker (sw.js: the offline shell, push) is registered only in files that ask
 * for it with `{ serviceWorker: true }` (the installable-app and notification tests); elsewhere
 * Playwright's `serviceWorkers: 'block'` turns its registration into a no-op, as Playwright advises
 * for tests that are not about it. Registered, it precaches the whole build in every new context:
 * the build's ~50 files fetched a second time, a worker started, and every request of the page
 * dispatched through it. tests/e2e, system-wide busy CPU from /proc/stat, alternated runs: 524.7 and
 * 453.5 s registered, 397.4 and 371.4 s blocked (wall 266 and 232 s against 203 and 190).
 * `E2E_SW=allow` (or `block`) overrides it for every file, to measure or to run all with it.
 */
export function useE2e(env: Record<string, string> = {}, opts: { desktop?: boolean; serviceWorker?: boolean } = {}): E2e {
  let server: TestServer | null = null;
  let browser: Browser | null = null;
  let pages: UserPage[] = [];
  const forced = process.env.E2E_SW;
  if (forced !== undefined && forced !== 'allow' && forced !== 'block') throw new Error(`E2E_SW=${forced}: allow or block`);
  const serviceWorkers = forced ?? (opts.serviceWorker ? 'allow' : 'block');

  beforeAll(async () => {
    const distDir = await ensureWebClientBuilt();
    [server, browser] = await Promise.all([startTestServer(env, { web: { distDir } }), sharedChromium(opts)]);
  });

  afterEach(async (ctx: TestContext) => {
    const open = pages;
    pages = [];
    const failed = ctx.task.result?.state === 'fail';
    const problems: string[] = [];
    for (const [i, p] of open.entries()) {
      if (failed) await saveFailureScreenshot(p.page, `${ctx.task.name}-${i}-${p.label}`);
      for (const problem of p.problems) problems.push(`[${p.label}] ${problem}`);
      await p.context.close().catch(() => undefined);
    }
    if (problems.length > 0) throw new Error(`the pages logged errors:\n${problems.join('\n')}`);
  });

  afterAll(async () => {
    // The browser stays for the process's next file; every context this file left open goes
    // (its pages', and any a test made itself and did not close when it failed).
    for (const context of browser?.contexts() ?? []) await context.close().catch(() => undefined);
    pages = [];
    await server?.close();
  });

  return {
    get server() {
      if (!server) throw new Error('the e2e server is not started (use it inside a test)');
      return server;
    },
    get browser() {
      if (!browser) throw new Error('the browser is not launched (use it inside a test)');
      return browser;
    },
    async newPage(label, opts = {}) {
      const s = this.server;
      const context = await this.browser.newContext({
        baseURL: s.httpUrl,
        viewport: opts.viewport ?? DESKTOP,
        ...(opts.viewport && opts.viewport.width < 600 ? { isMobile: true, hasTouch: true, deviceScaleFactor: 2 } : {}),
        // The browser's language (navigator.languages); English unless a test asks for another.
        locale: opts.locale ?? 'en-US',
        serviceWorkers,
        ...(opts.account ? { storageState: { cookies: [await sessionCookieFor(s, opts.account)], origins: [] } } : {}),
        ...(opts.permissions ? { permissions: opts.permissions } : {}),
      });
      if (opts.initScript) await context.addInitScript(opts.initScript);
      context.setDefaultTimeout(15_000);
      const page = await context.newPage();
      const user: UserPage = { label, context, page, problems: [], tolerated: [] };
      page.on('console', (msg) => {
        if (msg.type() !== 'error') return;
        const text = msg.text();
        if (user.tolerated.some((re) => re.test(text))) return;
        const where = msg.location();
        user.problems.push(`console.error: ${text}${where.url ? ` (${where.url}:${where.lineNumber})` : ''}`);
      });
      page.on('pageerror', (err) => user.problems.push(`uncaught: ${err.stack ?? err.message}`));
      pages.push(user);
      if (opts.account) {
        await page.goto('/');
        await waitOnline(page);
      }
      return user;
    },
  };
}

/** A new cookie login session for an account, as the web client's sign-in sets it (HttpOnly, SameSite=Strict). */
async function sessionCookieFor(s: TestServer, account: Account) {
  const token = await (s.app as ParleyApp).services.accounts.openSession(account.user.id, { userAgent: 'e2e', ip: '127.0.0.1', cookie: true });
  return { name: 'parley_session', value: token, domain: new URL(s.httpUrl).hostname, path: '/', expires: -1, httpOnly: true, secure: false, sameSite: 'Strict' as const };
}

async function saveFailureScreenshot(page: Page, name: string): Promise<void> {
  fs.mkdirSync(FAILURE_DIR, { recursive: true });
  await page.screenshot({ path: path.join(FAILURE_DIR, `${slug(name)}.png`) }).catch(() => undefined);
}

function slug(s: string): string {
  return s.replace(/[^A-Za-z0-9_.-]+/g, '-').slice(0, 120);
}

/** Saves test-artifacts/screenshots/NAME.png. */
export async function screenshot(page: Page, name: string): Promise<string> {
  fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const file = path.join(SCREENSHOT_DIR, `${slug(name)}.png`);
  // Let fonts, images and the last render settle, so the picture shows what the user sees.
  await page.evaluate('document.fonts.ready.then(() => undefined)');
  await page.screenshot({ path: file, animations: 'disabled', caret: 'hide' });
  return file;
}

/** The connection badge says online. */
export async function waitOnline(page: Page, timeout = 15_000): Promise<void> {
  await page.locator('[data-testid="connection-state"][data-state="online"]').waitFor({ timeout });
}

/** Signs up through the login screen (switching it to "Create account"). */
export async function registerInUi(page: Page, username: string, displayName: string, opts: { screenshots?: boolean } = {}): Promise<void> {
  await page.goto('/');
  await page.getByTestId('auth-screen').waitFor();
  if (opts.screenshots) await screenshot(page, 'login');
  await page.getByTestId('auth-mode-toggle').click();
  await page.getByTestId('auth-display-name').waitFor();
  await page.getByTestId('auth-username').fill(username);
  await page.getByTestId('auth-display-name').fill(displayName);
  await page.getByTestId('auth-password').fill(PASSWORD);
  if (opts.screenshots) await screenshot(page, 'register');
  await page.getByTestId('auth-submit').click();
  await page.getByTestId('app').waitFor();
  await waitOnline(page);
}

/** The inbox entry of a conversation. */
export function inboxItem(page: Page, conversationId: string): Locator {
  return page.locator(`[data-testid="inbox-item"][data-conversation-id="${conversationId}"]`);
}

/** Opens a conversation from the inbox and waits until its history is loaded. */
export async function openConversation(page: Page, conversationId: string): Promise<void> {
  await inboxItem(page, conversationId).click();
  await page.locator(`[data-testid="conversation"][data-conversation-id="${conversationId}"]`).waitFor();
  await page.locator('[data-testid="history-loading"]').waitFor({ state: 'detached' });
}

/** Stored messages (not pending ones) of the open conversation. */
export function sentMessages(page: Page): Locator {
  return page.locator('[data-testid="message"][data-status="sent"]');
}

/** The stored message of the open conversation whose text is exactly `body`. */
export function sentMessage(page: Page, body: string): Locator {
  return sentMessages(page).filter({ has: page.getByTestId('message-body').getByText(body, { exact: true }) });
}

/** The bodies of the open conversation's stored messages, top to bottom. */
export async function sentBodies(page: Page): Promise<string[]> {
  return sentMessages(page).locator('[data-testid="message-body"]').allTextContents();
}

/** Types a message in the composer and sends it with Enter; resolves once it is stored (acked). */
export async function sendFromComposer(page: Page, body: string): Promise<Locator> {
  const input = page.getByTestId('composer-input');
  await input.fill(body);
  await input.press('Enter');
  const sent = sentMessage(page, body);
  await sent.waitFor();
  return sent;
}

/** `window[name]` in the page, as JSON (undefined when absent). */
export async function windowValue(page: Page, name: string): Promise<unknown> {
  return page.evaluate((n) => (globalThis as unknown as Record<string, unknown>)[n], name);
}

/** Marks the page, so a later `assertNotReloaded` proves no reload or navigation happened in between. */
export async function markNoReload(page: Page): Promise<void> {
  await page.evaluate(() => {
    (globalThis as unknown as Record<string, unknown>).__e2eNoReload = true;
  });
}

export async function stillSamePage(page: Page): Promise<boolean> {
  return (await windowValue(page, '__e2eNoReload')) === true;
}

/** What Chromium logs (as console errors) for connections tried while the context is offline. */
const OFFLINE_ERRORS = /net::ERR_INTERNET_DISCONNECTED/;

/**
 * Cuts a user's network. Chromium's offline emulation fails new requests and WebSocket handshakes
 * but leaves an open WebSocket working, so the server also drops the user's sockets without a
 * close frame (TCP gone), as a lost network does: the page sees an abnormal close (1006).
 */
export async function goOffline(user: UserPage, server: TestServer, userId: string): Promise<void> {
  user.tolerated.push(OFFLINE_ERRORS);
  await user.context.setOffline(true);
  const conns = [...((server.app as ParleyApp).gateway.registry.forUser(userId) ?? [])];
  if (conns.length === 0) throw new Error(`user ${userId} has no socket to cut`);
  for (const conn of conns) conn.ws.terminate();
}

/** Gives the network back (the page reconnects by itself). */
export async function goOnline(user: UserPage): Promise<void> {
  await user.context.setOffline(false);
}

/** Registers a user through the API (for the people a test does not sign up through the UI). */
export async function createAccount(server: TestServer, prefix: string, displayName: string): Promise<Account> {
  const res = await server.app.inject({
    method: 'POST',
    url: '/api/v1/auth/register',
    payload: { username: uniqueName(prefix), password: PASSWORD, displayName },
  });
  if (res.statusCode !== 201) throw new Error(`register failed: ${res.statusCode} ${res.body}`);
  return res.json() as Account;
}

/** Creates a group through the API; returns its id. */
export async function createGroupApi(server: TestServer, owner: Account, body: { name: string; memberIds?: string[]; visibility?: 'public' | 'private'; description?: string }): Promise<string> {
  const res = await server.app.inject({ method: 'POST', url: '/api/v1/groups', headers: { authorization: `Bearer ${owner.token}` }, payload: body });
  if (res.statusCode !== 201) throw new Error(`create group failed: ${res.statusCode} ${res.body}`);
  return (res.json() as { id: string }).id;
}

export interface Pair {
  alice: UserPage;
  bob: UserPage;
  aliceAcc: Account;
  bobAcc: Account;
  groupId: string;
}

/**
 * Alice (the owner) and Bob in a new group, each signed in in their own browser with the group
 * open; with `only`, just that one's browser (the other is an account that acts through the API):
 * a browser context and the app's first load are about 2 s of CPU here.
 */
export async function pairInGroup(e2e: E2e, name: string, opts?: { bobViewport?: Viewport }): Promise<Pair>;
export async function pairInGroup(e2e: E2e, name: string, opts: { only: 'alice' }): Promise<Omit<Pair, 'bob'>>;
export async function pairInGroup(e2e: E2e, name: string, opts: { only: 'bob'; bobViewport?: Viewport }): Promise<Omit<Pair, 'alice'>>;
export async function pairInGroup(e2e: E2e, name: string, opts: { only?: 'alice' | 'bob'; bobViewport?: Viewport } = {}): Promise<Partial<Pair>> {
  // One after the other: on a fresh server the first account is the site admin, and tests rely on it being Alice.
  const aliceAcc = await createAccount(e2e.server, 'alice', 'Alice');
  const bobAcc = await createAccount(e2e.server, 'bob', 'Bob');
  const groupId = await createGroupApi(e2e.server, aliceAcc, { name, memberIds: [bobAcc.user.id] });
  const open = async (label: 'alice' | 'bob'): Promise<UserPage | undefined> => {
    if (opts.only && opts.only !== label) return undefined;
    const page = await e2e.newPage(label, label === 'alice' ? { account: aliceAcc } : { account: bobAcc, ...(opts.bobViewport ? { viewport: opts.bobViewport } : {}) });
    await openConversation(page.page, groupId);
    return page;
  };
  const [alice, bob] = await Promise.all([open('alice'), open('bob')]);
  return { alice, bob, aliceAcc, bobAcc, groupId };
}

/** Posts a message through the API (history a test starts from); returns its id. */
export async function postMessageApi(server: TestServer, sender: Account, conversationId: string, body: string): Promise<string> {
  const res = await server.app.inject({
    method: 'POST',
    url: `/api/v1/conversations/${conversationId}/messages`,
    headers: { authorization: `Bearer ${sender.token}` },
    payload: { body },
  });
  if (res.statusCode !== 201) throw new Error(`send failed: ${res.statusCode} ${res.body}`);
  return (res.json() as { id: string }).id;
}
