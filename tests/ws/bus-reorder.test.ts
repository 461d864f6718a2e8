/**
 * The bus may deliver a conversation's events out of order (Redis does, across publishers): a
 * bus that holds back chosen events shows that a connection still delivers each event once, in
 * seq order, from the start of the user's membership, and nothing from after it ended.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { LocalBus, type BusMessage } from '../../src/events/bus.js';
import { apiCaller, register } from '../helpers/app.js';
import { startTestServer, WsClient, type Frame, type TestServer } from '../helpers/ws.js';
import { sleep } from '../helpers/kit.js';

/** A local bus that delays the events `hold` picks. */
class DelayingBus extends LocalBus {
  hold: (msg: Extract<BusMessage, { kind: 'event' }>) => boolean = () => false;
  override publish(message: BusMessage): void {
    if (message.kind === 'event' && this.hold(message)) {
      setTimeout(() => super.publish(message), 300);
      return;
    }
    super.publish(message);
  }
}

const bus = new DelayingBus();
let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({}, { bus });
});
afterAll(async () => t.close());

const call = apiCaller(() => t.app);

function kinds(c: WsClient, conversationId: string): [number, string][] {
  return c.events(conversationId).map((e: Frame) => [e.seq as number, e.type as string]);
}

it('a conversation created after the connection starts at its first event, even when a later one arrives first', async () => {
  const a = await register(t.app);
  const b = await register(t.app);
  const c = await WsClient.connect(t.wsUrl, b.token);
  const g = (await call('POST', '/groups', a, { name: 'late first', memberIds: [b.user.id] })).json();
  bus.hold = (m) => m.event.conversationId === g.id && m.event.seq === 1;
  await call('POST', `/conversations/${g.id}/messages`, a, { body: 'one' });
  bus.hold = () => false;
  await call('POST', `/conversations/${g.id}/messages`, a, { body: 'two' });
  await c.next((f) => f.conversationId === g.id && f.seq === 2);
  await sleep(500);
  expect(kinds(c, g.id)).toEqual([
    [1, 'message.created'],
    [2, 'message.created'],
  ]);
  c.close();
});

it('a group joined after the connection starts at the member.joined, even when a later event arrives first', async () => {
  const a = await register(t.app);
  const b = await register(t.app);
  const g = (await call('POST', '/groups', a, { name: 'join then talk' })).json();
  await call('POST', `/conversations/${g.id}/messages`, a, { body: 'before b' });
  const c = await WsClient.connect(t.wsUrl, b.token);
  bus.hold = (m) => m.event.conversationId === g.id && m.event.type === 'member.joined';
  await call('POST', `/groups/${g.id}/members`, a, { userId: b.user.id });
  bus.hold = () => false;
  await call('POST', `/conversations/${g.id}/messages`, a, { body: 'after b' });
  await c.next((f) => f.conversationId === g.id && f.seq === 3);
  await sleep(500);
  expect(kinds(c, g.id)).toEqual([
    [2, 'member.joined'],
    [3, 'message.created'],
  ]);
  c.close();
});

it('an event from before a removal that arrives after the member.left is not written again', async () => {
  const a = await register(t.app);
  const b = await register(t.app);
  const g = (await call('POST', '/groups', a, { name: 'late after leave', memberIds: [b.user.id] })).json();
  const c = await WsClient.connect(t.wsUrl, b.token);
  bus.hold = (m) => m.event.conversationId === g.id && m.event.seq === 1;
  await call('POST', `/conversations/${g.id}/messages`, a, { body: 'said while b was in' });
  bus.hold = () => false;
  await call('DELETE', `/groups/${g.id}/members/${b.user.id}`, a);
  await c.next((f) => f.conversationId === g.id && f.type === 'member.left');
  await call('POST', `/conversations/${g.id}/messages`, a, { body: 'said while b was out' });
  // The held event (addressed to b, who was a member then) lands now: it was written already.
  await sleep(600);
  await call('POST', `/groups/${g.id}/members`, a, { userId: b.user.id });
  await c.next((f) => f.conversationId === g.id && f.type === 'member.joined');
  await sleep(300);
  expect(kinds(c, g.id)).toEqual([
    [1, 'message.created'],
    [2, 'member.left'],
    [4, 'member.joined'],
  ]);
  c.close();
});
