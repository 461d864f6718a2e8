/**
 * Review findings: role and membership checks made outside the transaction let concurrent
 * requests break the group's invariants (two owners) or deadlock into 500s on PostgreSQL.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { apiCaller, register, startTestApp, type Account, type TestApp } from '../helpers/app.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => t.close());

const call = apiCaller(() => t.app);

async function members(g: string, who: Account): Promise<{ user: { id: string }; role: string }[]> {
  return (await call('GET', `/groups/${g}/members?limit=100`, who)).json().members;
}

it('two concurrent handovers leave exactly one owner', async () => {
  for (let round = 0; round < 5; round++) {
    const [owner, x, y] = await Promise.all([register(t.app), register(t.app), register(t.app)]);
    const g = (await call('POST', '/groups', owner!, { name: 'h', memberIds: [x!.user.id, y!.user.id] })).json().id as string;
    const res = await Promise.all([
      call('PATCH', `/groups/${g}/members/${x!.user.id}`, owner!, { role: 'owner' }),
      call('PATCH', `/groups/${g}/members/${y!.user.id}`, owner!, { role: 'owner' }),
    ]);
    expect(res.map((r) => r.statusCode).sort()).toEqual([200, 403]);
    const owners = (await members(g, owner!)).filter((m) => m.role === 'owner');
    expect(owners).toHaveLength(1);
  }
});

it('role changes racing the member’s own sends never answer 500 and leave no seq gap', async () => {
  const [owner, m] = await Promise.all([register(t.app), register(t.app)]);
  const g = (await call('POST', '/groups', owner!, { name: 'r', memberIds: [m!.user.id] })).json().id as string;
  const jobs = [];
  for (let i = 0; i < 30; i++) {
    jobs.push(call('PATCH', `/groups/${g}/members/${m!.user.id}`, owner!, { role: i % 2 ? 'member' : 'admin' }));
    jobs.push(call('POST', `/conversations/${g}/messages`, m!, { body: `m${i}` }));
  }
  const codes = (await Promise.all(jobs)).map((r) => r.statusCode);
  expect(codes.filter((c) => c >= 500)).toEqual([]);
  const events = (await call('GET', `/conversations/${g}/events?after=0&limit=100`, owner!)).json().events as { seq: number }[];
  expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
});

it('a member removed while sending cannot post after their member.left', async () => {
  for (let round = 0; round < 5; round++) {
    const [owner, m] = await Promise.all([register(t.app), register(t.app)]);
    const g = (await call('POST', '/groups', owner!, { name: 'x', memberIds: [m!.user.id] })).json().id as string;
    await Promise.all([call('DELETE', `/groups/${g}/members/${m!.user.id}`, owner!), call('POST', `/conversations/${g}/messages`, m!, { body: 'sneak' })]);
    const events = (await call('GET', `/conversations/${g}/events?after=0`, owner!)).json().events as { type: string; message?: { senderId: string } }[];
    const left = events.findIndex((e) => e.type === 'member.left');
    expect(events.slice(left + 1).filter((e) => e.message?.senderId === m!.user.id)).toEqual([]);
  }
});
