/**
 * Every error frame names the frame it answers (CONTRACT.md: `{"type":"error","id",...}`), also
 * when the frame's JSON reads but carries what is refused before validation (a NUL: issue 24.5).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { apiCaller, register } from '../helpers/app.js';
import { startTestServer, WsClient, type TestServer } from '../helpers/ws.js';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => t.close());

const call = apiCaller(() => t.app);

it('a NUL in a message body is refused with the frame id echoed, as an empty body is', async () => {
  const a = await register(t.app);
  const g = (await call('POST', '/groups', a, { name: 'nul-id' })).json();
  const c = await WsClient.connect(t.wsUrl, a.token);
  c.send({ type: 'message.send', id: 'empty-1', conversationId: g.id, body: '', clientMsgId: 'e1' });
  const empty = await c.next((f) => f.type === 'error' && f.id === 'empty-1');
  expect(empty.error.code).toBe('validation_failed');

  c.send({ type: 'message.send', id: 'nul-1', conversationId: g.id, body: 'a\u0000b', clientMsgId: 'n1' });
  const nul = await c.next((f) => f.type === 'error' && f.id === 'nul-1');
  expect(nul.error).toMatchObject({ code: 'validation_failed', message: expect.stringMatching(/NUL/) });

  // A numeric id, a NUL elsewhere in the frame or in the id itself: still echoed as sent.
  c.send({ type: 'typing', id: 7, conversationId: `${g.id}\u0000` });
  expect((await c.next((f) => f.type === 'error' && f.id === 7)).error.code).toBe('validation_failed');
  c.send({ type: 'ping', id: 'p\u0000' });
  expect((await c.next((f) => f.type === 'error' && f.id === 'p\u0000')).error.code).toBe('validation_failed');

  // JSON that does not read has no id to echo; the error frame still comes, and the socket lives on.
  c.send('{"type":"ping","id":"broken"');
  const broken = await c.next((f) => f.type === 'error' && f.error.message.includes('JSON'));
  expect(broken.id).toBeUndefined();
  expect((await c.request({ type: 'ping' })).type).toBe('pong');
  c.close();
});
