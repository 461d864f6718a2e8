import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mentionedUsernames } from '../../src/services/messaging/messages.service.js';
import { validEmoji } from '../../src/services/messaging/reactions.service.js';
import { apiCaller, register, startTestApp, type Account, type TestApp } from '../helpers/app.js';
import { STANDARD_EMOJI } from '../../src/protocol/emoji-names.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => t.close());

const call = apiCaller(() => t.app);

async function group(owner: Account, members: Account[], visibility: 'public' | 'private' = 'private'): Promise<string> {
  const res = await call('POST', '/groups', owner, { name: 'rich', visibility, memberIds: members.map((m) => m.user.id) });
  return res.json().id as string;
}

describe('mentions', () => {
  it('finds @usernames but not e-mail addresses or trailing dots', () => {
    expect(mentionedUsernames('hi @Alice_1 and @bob.smith. mail x@example.com @no')).toEqual(['alice_1', 'bob.smith']);
  });

  it('resolves @username to members only, and counts unread mentions per conversation in the inbox', async () => {
    const a = await register(t.app);
    const b = await register(t.app);
    const outsider = await register(t.app);
    const id = await group(a, [b]);
    const sent = await call('POST', `/conversations/${id}/messages`, a, {
      body: `@${b.user.username.toUpperCase()} 你看一下 @${outsider.user.username} @${a.user.username}`,
    });
    expect(sent.statusCode).toBe(201);
    expect(new Set(sent.json().mentions)).toEqual(new Set([b.user.id, a.user.id]));
    await call('POST', `/conversations/${id}/messages`, a, { body: 'no mention' });
    const third = await call('POST', `/conversations/${id}/messages`, a, { body: `again @${b.user.username}` });

    let conv = (await call('GET', `/conversations/${id}`, b)).json();
    expect(conv.mentionCount).toBe(2);
    expect(conv.unreadCount).toBe(3);
    const inbox = (await call('GET', '/conversations', b)).json().conversations as { id: string; mentionCount: number }[];
    expect(inbox.find((c) => c.id === id)!.mentionCount).toBe(2);

    // Reading past the first mention leaves one; deleting the other leaves none.
    await call('POST', `/conversations/${id}/read`, b, { seq: sent.json().seq });
    conv = (await call('GET', `/conversations/${id}`, b)).json();
    expect(conv.mentionCount).toBe(1);
    await call('DELETE', `/messages/${third.json().id}`, a);
    conv = (await call('GET', `/conversations/${id}`, b)).json();
    expect(conv.mentionCount).toBe(0);
  });

  it('recomputes mentions when a message is edited', async () => {
    const a = await register(t.app);
    const b = await register(t.app);
    const id = await group(a, [b]);
    const sent = (await call('POST', `/conversations/${id}/messages`, a, { body: 'hello' })).json();
    const edited = await call('PATCH', `/messages/${sent.id}`, a, { body: `hello @${b.user.username}` });
    expect(edited.json().mentions).toEqual([b.user.id]);
    expect((await call('GET', `/conversations/${id}`, b)).json().mentionCount).toBe(1);
  });
});

describe('reactions', () => {
  it.each(['👍', '👍🏽', '👨‍👩‍👧', '🇨🇳', '❤️', '❤', ':party_parrot:'])('accepts %s', (e) => expect(validEmoji(e)).toBe(true));
  it.each(['a', 'ok', '::', ':Bad Name:', '👍👍x', '<b>', ''])('refuses %j', (e) => expect(validEmoji(e)).toBe(false));

  it('PUT twice is one reaction; messages carry {emoji, count, me}; DELETE removes it; events take seqs', async () => {
    const a = await register(t.app);
    const b = await register(t.app);
    const id = await group(a, [b]);
    const msg = (await call('POST', `/conversations/${id}/messages`, a, { body: 'react to me' })).json();
    const thumbs = encodeURIComponent('👍🏽');
    expect((await call('PUT', `/messages/${msg.id}/reactions/${thumbs}`, a)).statusCode).toBe(204);
    expect((await call('PUT', `/messages/${msg.id}/reactions/${thumbs}`, a)).statusCode).toBe(204);
    expect((await call('PUT', `/messages/${msg.id}/reactions/${thumbs}`, b)).statusCode).toBe(204);
    expect((await call('PUT', `/messages/${msg.id}/reactions/${encodeURIComponent(':tada:')}`, b)).statusCode).toBe(204);

    const forA = (await call('GET', `/messages/${msg.id}`, a)).json();
    expect(forA.reactions).toEqual([
      { emoji: '👍🏽', count: 2, me: true },
      { emoji: ':tada:', count: 1, me: false },
    ]);
    const history = (await call('GET', `/conversations/${id}/messages`, b)).json().messages;
    expect(history[0].reactions).toEqual([
      { emoji: '👍🏽', count: 2, me: true },
      { emoji: ':tada:', count: 1, me: true },
    ]);

    expect((await call('DELETE', `/messages/${msg.id}/reactions/${thumbs}`, a)).statusCode).toBe(204);
    expect((await call('DELETE', `/messages/${msg.id}/reactions/${thumbs}`, a)).statusCode).toBe(204);
    const events = (await call('GET', `/conversations/${id}/events?after=0`, a)).json().events as Record<string, unknown>[];
    expect(events.map((e) => [e.seq, e.type])).toEqual([
      [1, 'message.created'],
      [2, 'reaction.added'],
      [3, 'reaction.added'],
      [4, 'reaction.added'],
      [5, 'reaction.removed'],
    ]);
    expect(events[1]).toMatchObject({ messageId: msg.id, emoji: '👍🏽', userId: a.user.id });
    // Events carry no per-viewer field: the message in message.created has reactions without `me`.
    expect((events[0]!.message as { reactions: unknown[] }).reactions).toEqual([
      { emoji: '👍🏽', count: 1 },
      { emoji: ':tada:', count: 1 },
    ]);
  });

  it('refuses a bad emoji (400), a non-member (404 private, 403 public), one who left, and a deleted message (409)', async () => {
    const a = await register(t.app);
    const b = await register(t.app);
    const outsider = await register(t.app);
    const priv = await group(a, [b]);
    const msg = (await call('POST', `/conversations/${priv}/messages`, a, { body: 'x' })).json();
    expect((await call('PUT', `/messages/${msg.id}/reactions/lol`, a)).json().error.code).toBe('validation_failed');
    expect((await call('PUT', `/messages/${msg.id}/reactions/${encodeURIComponent('👍')}`, outsider)).statusCode).toBe(404);
    await call('DELETE', `/groups/${priv}/members/${b.user.id}`, b);
    expect((await call('PUT', `/messages/${msg.id}/reactions/${encodeURIComponent('👍')}`, b)).statusCode).toBe(404);

    const pub = await group(a, [], 'public');
    const pmsg = (await call('POST', `/conversations/${pub}/messages`, a, { body: 'y' })).json();
    expect((await call('PUT', `/messages/${pmsg.id}/reactions/${encodeURIComponent('👍')}`, outsider)).statusCode).toBe(403);

    await call('PUT', `/messages/${msg.id}/reactions/${encodeURIComponent('👍')}`, a);
    await call('DELETE', `/messages/${msg.id}`, a);
    expect((await call('PUT', `/messages/${msg.id}/reactions/${encodeURIComponent('🎉')}`, a)).statusCode).toBe(409);
    const gone = (await call('GET', `/messages/${msg.id}`, a)).json();
    expect(gone.reactions).toEqual([]);
  });
});

describe('reaction limits', () => {
  it('takes at most 20 reactions from one user and 50 different emoji on one message (409 beyond)', async () => {
    const users = await Promise.all(Array.from({ length: 4 }, () => register(t.app)));
    const [a] = users;
    const id = await group(a!, users.slice(1));
    const msg = (await call('POST', `/conversations/${id}/messages`, a!, { body: 'limits' })).json();
    // 51 different standard short names (a name must be a known emoji's: tests/api/custom-emoji.test.ts).
    const names = Object.keys(STANDARD_EMOJI);
    const put = (who: Account, i: number) => call('PUT', `/messages/${msg.id}/reactions/${encodeURIComponent(`:${names[i]}:`)}`, who);
    for (let i = 0; i < 20; i++) expect((await put(a!, i)).statusCode).toBe(204);
    expect((await put(a!, 20)).statusCode).toBe(409);
    // Putting one already there is still fine.
    expect((await put(a!, 3)).statusCode).toBe(204);
    for (let i = 20; i < 50; i++) expect((await put(users[1 + (i % 3)]!, i)).statusCode).toBe(204);
    expect((await put(users[2]!, 50)).statusCode).toBe(409);
    // Another user may still add an emoji already on the message.
    expect((await put(users[3]!, 0)).statusCode).toBe(204);
  });
});
