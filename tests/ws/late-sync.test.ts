/** Review finding: a sync sent after ready must not lose events from before the first live one. */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { auth, register, type Account } from '../helpers/app.js';
import { startTestServer, WsClient, type TestServer } from '../helpers/ws.js';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => t.close());

const say = async (g: string, who: Account, body: string) =>
  (await t.app.inject({ method: 'POST', url: `/api/v1/conversations/${g}/messages`, headers: auth(who.token), payload: { body } })).json();

it('a client that syncs after a live event still gets every event it missed, each once', async () => {
  const a = await register(t.app);
  const b = await register(t.app);
  const g = (await t.app.inject({ method: 'POST', url: '/api/v1/groups', headers: auth(a.token), payload: { name: 'late', memberIds: [b.user.id] } })).json().id as string;
  for (let i = 1; i <= 3; i++) await say(g, a, `before ${i}`);
  const c = await WsClient.connect(t.wsUrl, b.token);
  await say(g, a, 'live 4');
  await c.next((f) => f.seq === 4);
  const done = await c.request({ type: 'sync', cursors: { [g]: 0 } });
  expect(done.hasMore).toBe(false);
  await say(g, a, 'live 5');
  await c.next((f) => f.seq === 5);
  // Live 4 first, then the replay of 1..3 it never had, then live 5: nothing lost, nothing twice.
  expect(c.events(g).map((e) => e.seq)).toEqual([4, 1, 2, 3, 5]);
  c.close();
});

