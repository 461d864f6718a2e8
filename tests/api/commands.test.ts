/** Slash commands run by the server (issue 22): each does what its route does, for every client. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiCaller, register, startTestApp, type TestApp } from '../helpers/app.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => t.close());

const call = apiCaller(() => t.app);

describe('slash commands', () => {
  it('lists the commands of a group and of a direct conversation', async () => {
    const a = await register(t.app);
    const b = await register(t.app);
    const gid = (await call('POST', '/groups', a, { name: 'cmds' })).json().id as string;
    const dm = (await call('POST', '/conversations/direct', a, { userId: b.user.id })).json().id as string;
    const inGroup = (await call('GET', `/conversations/${gid}/commands`, a)).json().commands.map((c: { name: string }) => c.name);
    expect(inGroup).toEqual(['me', 'shrug', 'mute', 'unmute', 'invite', 'leave', 'topic', 'status', 'dnd']);
    const inDm = (await call('GET', `/conversations/${dm}/commands`, a)).json().commands.map((c: { name: string }) => c.name);
    expect(inDm).not.toContain('invite');
    expect((await call('GET', `/conversations/${gid}/commands`, b)).statusCode).toBe(404);
  });

  it('/me and /shrug send messages; /mute, /topic, /status and /dnd answer the caller alone', async () => {
    const a = await register(t.app);
    const gid = (await call('POST', '/groups', a, { name: 'cmds' })).json().id as string;
    const me = (await call('POST', `/conversations/${gid}/commands`, a, { command: '/me', text: 'is deploying v2_final', clientMsgId: 'me-1' })).json();
    expect(me).toEqual({ message: expect.objectContaining({ body: '_is deploying v2\\_final_', clientMsgId: 'me-1' }), response: null });
    const shrug = (await call('POST', `/conversations/${gid}/commands`, a, { command: 'shrug', text: '不知道' })).json();
    expect(shrug.message.body).toBe('不知道 ¯\\\\\\_(ツ)\\_/¯');

    const muted = (await call('POST', `/conversations/${gid}/commands`, a, { command: '/mute' })).json();
    expect(muted).toEqual({ message: null, response: { text: expect.stringContaining('muted') } });
    expect((await call('GET', `/conversations/${gid}`, a)).json().muted).toBe(true);
    await call('POST', `/conversations/${gid}/commands`, a, { command: '/unmute' });
    expect((await call('GET', `/conversations/${gid}`, a)).json().muted).toBe(false);

    await call('POST', `/conversations/${gid}/commands`, a, { command: '/topic', text: '本周发布 🚀' });
    expect((await call('GET', `/groups/${gid}`, a)).json().description).toBe('本周发布 🚀');

    await call('POST', `/conversations/${gid}/commands`, a, { command: '/status', text: '🌴 on holiday' });
    expect((await call('GET', '/users/me', a)).json().status).toMatchObject({ emoji: '🌴', text: 'on holiday' });
    await call('POST', `/conversations/${gid}/commands`, a, { command: '/status', text: 'clear' });
    expect((await call('GET', '/users/me', a)).json()).not.toHaveProperty('status');

    await call('POST', `/conversations/${gid}/commands`, a, { command: '/dnd', text: '2h' });
    const until = new Date((await call('GET', '/users/me', a)).json().dndUntil).getTime();
    expect(until - Date.now()).toBeGreaterThan(7_100_000);
    await call('POST', `/conversations/${gid}/commands`, a, { command: '/dnd', text: 'off' });
    expect((await call('GET', '/users/me', a)).json()).not.toHaveProperty('dndUntil');
  });

  it('/invite adds people as an admin would, says what happened to each, and /leave leaves', async () => {
    const a = await register(t.app);
    const b = await register(t.app);
    const c = await register(t.app);
    const gid = (await call('POST', '/groups', a, { name: 'cmds', memberIds: [c.user.id] })).json().id as string;
    const res = (await call('POST', `/conversations/${gid}/commands`, a, { command: '/invite', text: `@${b.user.username}, ${c.user.username} @nobody_${Date.now()}` })).json();
    expect(res.response.text.split('\n')).toEqual([`@${b.user.username} was added`, `@${c.user.username} is already a member`, expect.stringContaining('no such user')]);
    // A plain member may not add people to a private group: the refusal is said, nothing else happens.
    const d = await register(t.app);
    const refused = (await call('POST', `/conversations/${gid}/commands`, b, { command: '/invite', text: `@${d.user.username}` })).json();
    expect(refused.response.text).toContain(d.user.username);
    expect((await call('GET', `/groups/${gid}/members`, a)).json().members).toHaveLength(3);
    expect((await call('POST', `/conversations/${gid}/commands`, b, { command: '/leave' })).json().response.text).toContain('You left');
    expect((await call('GET', `/conversations/${gid}`, b)).statusCode).toBe(404);
  });

  it('refuses unknown commands, group commands elsewhere, and commands missing what they need', async () => {
    const a = await register(t.app);
    const b = await register(t.app);
    const gid = (await call('POST', '/groups', a, { name: 'cmds' })).json().id as string;
    const dm = (await call('POST', '/conversations/direct', a, { userId: b.user.id })).json().id as string;
    for (const [cid, body, message] of [
      [gid, { command: '/deploy' }, 'no command /deploy'],
      [dm, { command: '/invite', text: '@x' }, 'groups only'],
      [gid, { command: '/me' }, 'say what you are doing'],
      [gid, { command: '/invite' }, 'name someone'],
      [gid, { command: '/dnd', text: 'forever' }, 'say how long'],
      [gid, { command: '/status', text: '🌴 ' + 'x'.repeat(101) }, 'longer than 100'],
      // The group's description keeps its limit whichever way it is set.
      [gid, { command: '/topic', text: 'x'.repeat(1001) }, 'longer than 1000'],
    ] as const) {
      const res = await call('POST', `/conversations/${cid}/commands`, a, body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(res.json().error.message).toContain(message);
    }
    expect((await call('POST', `/conversations/${gid}/commands`, b, { command: '/me', text: 'x' })).statusCode).toBe(404);
  });
});
