import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiCaller, auth, register, type Account } from '../helpers/app.js';
import { startTestServer, WsClient, type TestServer } from '../helpers/ws.js';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => t.close());

const call = apiCaller(() => t.app);

async function group(owner: Account, members: Account[]): Promise<string> {
  const res = await call('POST', '/groups', owner, { name: 'drafts', memberIds: members.map((m) => m.user.id) });
  expect(res.statusCode).toBe(201);
  return res.json().id as string;
}

const drafts = async (who: Account) => (await call('GET', '/drafts', who)).json().drafts as { conversationId: string; body: string; updatedAt: string }[];

describe('drafts', () => {
  it('are kept per conversation, replaced, deleted by an empty body or DELETE, and only by members', async () => {
    const a = await register(t.app);
    const b = await register(t.app);
    const outsider = await register(t.app);
    const id = await group(a, [b]);
    const saved = await call('PUT', `/conversations/${id}/draft`, a, { body: '半句话 half a' });
    expect(saved.statusCode, saved.body).toBe(200);
    expect(saved.json()).toMatchObject({ conversationId: id, body: '半句话 half a' });
    expect(Number.isNaN(Date.parse(saved.json().updatedAt))).toBe(false);
    expect(await drafts(a)).toEqual([saved.json()]);
    expect(await drafts(b)).toEqual([]);

    await call('PUT', `/conversations/${id}/draft`, a, { body: 'second' });
    expect((await drafts(a)).map((d) => d.body)).toEqual(['second']);
    expect((await call('PUT', `/conversations/${id}/draft`, a, { body: '' })).statusCode).toBe(200);
    expect(await drafts(a)).toEqual([]);
    await call('PUT', `/conversations/${id}/draft`, a, { body: 'again' });
    expect((await call('DELETE', `/conversations/${id}/draft`, a)).statusCode).toBe(204);
    expect((await call('DELETE', `/conversations/${id}/draft`, a)).statusCode).toBe(204);
    expect(await drafts(a)).toEqual([]);

    expect((await call('PUT', `/conversations/${id}/draft`, outsider, { body: 'x' })).statusCode).toBe(404);
    expect((await call('PUT', '/conversations/not-a-uuid/draft', a, { body: 'x' })).statusCode).toBe(404);
    const long = await call('PUT', `/conversations/${id}/draft`, a, { body: '字'.repeat(8001) });
    expect(long.statusCode).toBe(400);
    expect(long.json().error.code).toBeTruthy();
    expect((await call('PUT', `/conversations/${id}/draft`, a, { body: '字'.repeat(8000) })).statusCode).toBe(200);
    expect((await call('PUT', `/conversations/${id}/draft`, a, { body: 'x', extra: 1 })).statusCode).toBe(400);
  });

  it('go with the membership: leaving deletes the draft', async () => {
    const a = await register(t.app);
    const b = await register(t.app);
    const id = await group(a, [b]);
    await call('PUT', `/conversations/${id}/draft`, b, { body: 'never sent' });
    expect(await drafts(b)).toHaveLength(1);
    expect((await call('DELETE', `/groups/${id}/members/${b.user.id}`, b)).statusCode).toBe(204);
    expect(await drafts(b)).toEqual([]);
  });

  it("are told to the user's other connections, not to the one that saved", async () => {
    const a = await register(t.app);
    const id = await group(a, []);
    const ws1 = await WsClient.connect(t.wsUrl, a.token);
    const ws2 = await WsClient.connect(t.wsUrl, a.token);
    const ready1 = ws1.frames.find((f) => f.type === 'ready')!;
    const res = await t.app.inject({
      method: 'PUT',
      url: `/api/v1/conversations/${id}/draft`,
      headers: { ...auth(a.token), 'x-parley-connection': ready1.connectionId },
      payload: { body: 'from one tab' },
    });
    expect(res.statusCode).toBe(200);
    const got = await ws2.next((f) => f.type === 'draft.updated');
    expect(got).toMatchObject({ conversationId: id, body: 'from one tab', updatedAt: res.json().updatedAt });
    // A later frame to both proves the first reached ws1 had it been sent (frames are in order).
    await call('DELETE', `/conversations/${id}/draft`, a);
    await ws1.next((f) => f.type === 'draft.updated' && f.body === '');
    expect(ws1.frames.filter((f) => f.type === 'draft.updated' && f.body === 'from one tab')).toEqual([]);
    ws1.close();
    ws2.close();
  });

  it('are rate limited per user', async () => {
    const r = await startTestServer({ RATE_LIMIT: 'true', RATE_LIMIT_EDITS_PER_USER: '2/min,burst=2' });
    try {
      const a = await register(r.app);
      const rc = apiCaller(() => r.app);
      const id = (await rc('POST', '/groups', a, { name: 'rl', memberIds: [] })).json().id as string;
      const codes: number[] = [];
      for (let i = 0; i < 4; i++) codes.push((await rc('PUT', `/conversations/${id}/draft`, a, { body: `d${i}` })).statusCode);
      expect(codes).toContain(429);
    } finally {
      await r.close();
    }
  });
});
