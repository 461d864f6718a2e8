import sharp from 'sharp';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { apiCaller, auth, register } from '../helpers/app.js';
import { startTestServer, WsClient, type TestServer } from '../helpers/ws.js';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => t.close());

const call = apiCaller(() => t.app);

it('reactions, mentions and attachments show up live, with signed URLs and no per-viewer fields', async () => {
  const a = await register(t.app);
  const b = await register(t.app);
  const g = (await call('POST', '/groups', a, { name: 'live', memberIds: [b.user.id] })).json();
  const png = await sharp({ create: { width: 20, height: 20, channels: 3, background: '#ff0000' } }).png().toBuffer();
  const boundary = 'xyzboundary';
  const body = Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="图.png"\r\nContent-Type: image/png\r\n\r\n`),
    png,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  const up = (
    await t.app.inject({ method: 'POST', url: '/api/v1/uploads', headers: { ...auth(a.token), 'content-type': `multipart/form-data; boundary=${boundary}` }, payload: body })
  ).json();

  const cb = await WsClient.connect(t.wsUrl, b.token);
  const ca = await WsClient.connect(t.wsUrl, a.token);
  const ack = await ca.request({ type: 'message.send', conversationId: g.id, body: `看图 @${b.user.username}`, clientMsgId: 'm1', attachmentIds: [up.id] });
  expect(ack.type).toBe('ack');
  const created = await cb.next((f) => f.type === 'message.created');
  expect(created.message.mentions).toEqual([b.user.id]);
  expect(created.message.attachments).toHaveLength(1);
  const fetched = await fetch(`${t.httpUrl}${created.message.attachments[0].thumbnailUrl as string}`);
  expect(fetched.status).toBe(200);

  await call('PUT', `/messages/${ack.message.id}/reactions/${encodeURIComponent('🎉')}`, b);
  const added = await ca.next((f) => f.type === 'reaction.added');
  expect(added).toMatchObject({ conversationId: g.id, seq: 2, messageId: ack.message.id, emoji: '🎉', userId: b.user.id });
  await call('DELETE', `/messages/${ack.message.id}/reactions/${encodeURIComponent('🎉')}`, b);
  expect(await cb.next((f) => f.type === 'reaction.removed')).toMatchObject({ seq: 3, emoji: '🎉' });

  await call('PUT', `/messages/${ack.message.id}/reactions/${encodeURIComponent('👍')}`, b);
  await call('DELETE', `/messages/${ack.message.id}`, a);
  // Replayed now: the message is a tombstone, so neither text, attachments nor reactions remain.
  const fresh = await WsClient.connect(t.wsUrl, b.token, { [g.id]: 0 });
  await fresh.next((f) => f.type === 'sync.done');
  const replayed = fresh.events(g.id);
  expect(replayed.map((e) => e.type)).toEqual(['message.created', 'reaction.added', 'reaction.removed', 'reaction.added', 'message.deleted']);
  expect(replayed[0]!.message).toMatchObject({ body: '', attachments: [], reactions: [], mentions: [] });
  for (const c of [ca, cb, fresh]) c.close();
});
