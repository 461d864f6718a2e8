import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiCaller, register, type Account } from '../helpers/app.js';
import { startTestServer, WsClient, type TestServer } from '../helpers/ws.js';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => t.close());

const call = apiCaller(() => t.app);

async function group(owner: Account, members: Account[]): Promise<string> {
  const res = await call('POST', '/groups', owner, { name: 'threads', memberIds: members.map((m) => m.user.id) });
  expect(res.statusCode).toBe(201);
  return res.json().id as string;
}

async function send(who: Account, conversationId: string, body: string, extra: Record<string, unknown> = {}) {
  const res = await call('POST', `/conversations/${conversationId}/messages`, who, { body, ...extra });
  expect(res.statusCode, res.body).toBe(201);
  return res.json();
}

describe('threads', () => {
  it('a reply names its root, leaves the collapsed timeline and the unread count alone, and gives the root a summary', async () => {
    const a = await register(t.app);
    const b = await register(t.app);
    const c = await register(t.app);
    const id = await group(a, [b, c]);
    const root = await send(a, id, 'what do we ship on Friday?');
    expect(root).toMatchObject({ threadId: null, alsoInConversation: false, thread: null });

    const r1 = await send(b, id, 'the search fix', { threadId: root.id });
    expect(r1).toMatchObject({ threadId: root.id, alsoInConversation: false, thread: null });
    const r2 = await send(c, id, 'and threads', { threadId: root.id, alsoInConversation: true });
    expect(r2.alsoInConversation).toBe(true);

    const shown = (await call('GET', `/messages/${root.id}`, b)).json();
    expect(shown.thread).toMatchObject({ replyCount: 2, lastReplySeq: r2.seq, participantIds: [c.user.id, b.user.id] });
    expect(new Date(shown.thread.lastReplyAt).toISOString()).toBe(r2.createdAt);

    // The whole history still holds every message (the contract's default); collapsed, only what the conversation shows.
    const all = (await call('GET', `/conversations/${id}/messages`, a)).json().messages.map((m: { id: string }) => m.id);
    expect(all).toEqual([root.id, r1.id, r2.id]);
    const collapsed = (await call('GET', `/conversations/${id}/messages?collapseThreads=true`, a)).json().messages;
    expect(collapsed.map((m: { id: string }) => m.id)).toEqual([root.id, r2.id]);
    expect(collapsed[0].thread.replyCount).toBe(2);

    // a has read nothing since the root: the thread-only reply is not unread in the conversation, the one also sent is.
    const conv = (await call('GET', `/conversations/${id}`, a)).json();
    expect(conv.unreadCount).toBe(1);
    expect(conv.lastMessage.id).toBe(r2.id);

    // A thread's replies, paged by seq.
    const r3 = await send(a, id, 'ok', { threadId: root.id });
    const page = (await call('GET', `/threads/${root.id}/messages?limit=2`, c)).json();
    expect(page.messages.map((m: { id: string }) => m.id)).toEqual([r2.id, r3.id]);
    expect(page.hasMore).toBe(true);
    const older = (await call('GET', `/threads/${root.id}/messages?before=${r2.seq}`, c)).json();
    expect(older).toEqual({ messages: [expect.objectContaining({ id: r1.id })], hasMore: false });
  });

  it('repliers, the root author and those mentioned follow; unread and mention counts per thread; read and unfollow', async () => {
    const a = await register(t.app);
    const b = await register(t.app);
    const c = await register(t.app);
    const d = await register(t.app);
    const id = await group(a, [b, c, d]);
    const root = await send(a, id, 'release notes?');
    await send(b, id, `drafting them, @${c.user.username} can you review`, { threadId: root.id });
    const r2 = await send(b, id, 'pushed', { threadId: root.id });

    const forA = (await call('GET', `/threads/${root.id}`, a)).json();
    expect(forA).toMatchObject({ rootId: root.id, conversationId: id, following: true, lastReadSeq: 0, unreadCount: 2, mentionCount: 0, replyCount: 2 });
    expect(forA.root.id).toBe(root.id);
    expect((await call('GET', `/threads/${root.id}`, b)).json()).toMatchObject({ following: true, lastReadSeq: r2.seq, unreadCount: 0 });
    expect((await call('GET', `/threads/${root.id}`, c)).json()).toMatchObject({ following: true, unreadCount: 2, mentionCount: 1 });
    expect((await call('GET', `/threads/${root.id}`, d)).json()).toMatchObject({ following: false, unreadCount: 0 });

    const listC = (await call('GET', '/threads', c)).json();
    expect(listC).toMatchObject({ unreadThreads: 1, unreadMentions: 1, nextCursor: null });
    expect(listC.threads.map((th: { rootId: string }) => th.rootId)).toEqual([root.id]);
    expect((await call('GET', '/threads', d)).json()).toEqual({ threads: [], nextCursor: null, unreadThreads: 0, unreadMentions: 0 });

    // Reading clears the counts; the pointer never moves back and stops at the last reply.
    expect((await call('POST', `/threads/${root.id}/read`, c, { seq: r2.seq + 1000 })).statusCode).toBe(204);
    expect((await call('GET', `/threads/${root.id}`, c)).json()).toMatchObject({ lastReadSeq: r2.seq, unreadCount: 0, mentionCount: 0 });
    await call('POST', `/threads/${root.id}/read`, c, { seq: 1 });
    expect((await call('GET', `/threads/${root.id}`, c)).json().lastReadSeq).toBe(r2.seq);
    expect((await call('GET', '/threads', c)).json()).toMatchObject({ unreadThreads: 0, unreadMentions: 0 });

    // Unfollowing takes it off the list; the root's author is not made to follow again by a reply, a mention is.
    expect((await call('DELETE', `/threads/${root.id}/follow`, a)).json().following).toBe(false);
    await send(b, id, 'one more', { threadId: root.id });
    expect((await call('GET', '/threads', a)).json().threads).toEqual([]);
    await send(b, id, `@${a.user.username} please look`, { threadId: root.id });
    expect((await call('GET', `/threads/${root.id}`, a)).json()).toMatchObject({ following: true, mentionCount: 1 });

    // Anyone may follow: from the last reply on.
    const followed = (await call('PUT', `/threads/${root.id}/follow`, d)).json();
    expect(followed).toMatchObject({ following: true, unreadCount: 0 });
    await send(c, id, 'lgtm', { threadId: root.id });
    expect((await call('GET', '/threads', d)).json()).toMatchObject({ unreadThreads: 1, threads: [expect.objectContaining({ unreadCount: 1 })] });
  });

  it('lists unread threads first, then by last reply, a page at a time', async () => {
    const a = await register(t.app);
    const b = await register(t.app);
    const id = await group(a, [b]);
    const roots = [];
    for (let i = 0; i < 3; i++) {
      const root = await send(a, id, `topic ${i}`);
      await send(a, id, `first reply ${i}`, { threadId: root.id });
      roots.push(root);
    }
    // b replies in topic 0 (read by b), a replies again in topic 1 (unread for b, who follows it by a mention).
    await send(b, id, 'mine', { threadId: roots[0].id });
    await send(a, id, `@${b.user.username} see`, { threadId: roots[1].id });
    const first = (await call('GET', '/threads?limit=1', b)).json();
    expect(first.threads.map((x: { rootId: string }) => x.rootId)).toEqual([roots[1].id]);
    expect(first).toMatchObject({ unreadThreads: 1, unreadMentions: 1 });
    const second = (await call('GET', `/threads?limit=1&cursor=${first.nextCursor}`, b)).json();
    expect(second.threads.map((x: { rootId: string }) => x.rootId)).toEqual([roots[0].id]);
    expect(second.nextCursor).toBeNull();
    expect((await call('GET', '/threads?cursor=bm9wZQ', b)).statusCode).toBe(400);
  });

  it('refuses nested threads, roots of other conversations, outsiders and alsoInConversation alone', async () => {
    const a = await register(t.app);
    const b = await register(t.app);
    const outsider = await register(t.app);
    const id = await group(a, [b]);
    const other = await group(outsider, []);
    const root = await send(a, id, 'root');
    const reply = await send(b, id, 'reply', { threadId: root.id });
    const foreign = await send(outsider, other, 'elsewhere');

    const nested = await call('POST', `/conversations/${id}/messages`, a, { body: 'x', threadId: reply.id });
    expect(nested.statusCode).toBe(400);
    expect(nested.json().error).toMatchObject({ code: 'validation_failed', details: { field: 'threadId' } });
    expect((await call('POST', `/conversations/${id}/messages`, a, { body: 'x', threadId: foreign.id })).statusCode).toBe(404);
    expect((await call('POST', `/conversations/${id}/messages`, a, { body: 'x', threadId: 'nope' })).statusCode).toBe(404);
    expect((await call('POST', `/conversations/${id}/messages`, a, { body: 'x', alsoInConversation: true })).json().error.code).toBe('validation_failed');
    // The outsider learns nothing: not the root, its replies, nor whether it exists.
    for (const [method, url] of [
      ['GET', `/threads/${root.id}`],
      ['GET', `/threads/${root.id}/messages`],
      ['PUT', `/threads/${root.id}/follow`],
    ] as const) {
      expect((await call(method, url, outsider)).statusCode).toBe(404);
    }
    expect((await call('POST', `/threads/${root.id}/read`, outsider, { seq: 1 })).statusCode).toBe(404);
    expect((await call('POST', `/conversations/${other}/messages`, outsider, { body: 'x', threadId: root.id })).statusCode).toBe(404);
    // A reply is no thread.
    expect((await call('GET', `/threads/${reply.id}`, a)).statusCode).toBe(404);
  });

  it('deleting a reply updates the summary; a deleted root keeps its thread readable, closed to replies', async () => {
    const a = await register(t.app);
    const b = await register(t.app);
    const id = await group(a, [b]);
    const root = await send(a, id, 'root');
    const r1 = await send(b, id, 'one', { threadId: root.id });
    await send(b, id, 'two', { threadId: root.id });
    expect((await call('DELETE', `/messages/${r1.id}`, b)).statusCode).toBe(204);
    expect((await call('GET', `/messages/${root.id}`, a)).json().thread.replyCount).toBe(1);

    expect((await call('DELETE', `/messages/${root.id}`, a)).statusCode).toBe(204);
    const tomb = (await call('GET', `/messages/${root.id}`, b)).json();
    expect(tomb).toMatchObject({ body: '', thread: { replyCount: 1 } });
    expect((await call('GET', `/threads/${root.id}/messages`, b)).json().messages.map((m: { body: string }) => m.body)).toEqual(['', 'two']);
    const closed = await call('POST', `/conversations/${id}/messages`, b, { body: 'three', threadId: root.id });
    expect(closed.statusCode).toBe(409);
    expect(closed.json().error.code).toBe('conflict');
    expect((await call('GET', `/threads/${root.id}`, b)).json().replyCount).toBe(1);

    // The events feed replays replies' events with their root's summary as it is now.
    const events = (await call('GET', `/conversations/${id}/events?types=message.created,message.deleted`, b)).json().events;
    const deleted = events.find((e: { type: string; messageId?: string }) => e.type === 'message.deleted' && e.messageId === r1.id);
    expect(deleted).toMatchObject({ threadId: root.id, thread: { replyCount: 1 } });
    const created = events.filter((e: { type: string; message?: { threadId: string | null } }) => e.type === 'message.created' && e.message?.threadId === root.id);
    expect(created).toHaveLength(2);
    expect(created.every((e: { thread: { replyCount: number } }) => e.thread.replyCount === 1)).toBe(true);
  });

  it('deleting the last reply moves the last reply back, so the thread is no longer unread for anyone', async () => {
    const a = await register(t.app);
    const b = await register(t.app);
    const id = await group(a, [b]);
    const root = await send(a, id, 'root');
    const r1 = await send(b, id, 'one', { threadId: root.id });
    const r2 = await send(b, id, `two @${a.user.username}`, { threadId: root.id });
    await call('POST', `/threads/${root.id}/read`, a, { seq: r1.seq });
    expect((await call('GET', '/threads', a)).json()).toMatchObject({ unreadThreads: 1, unreadMentions: 1 });
    await call('DELETE', `/messages/${r2.id}`, b);
    expect((await call('GET', `/messages/${root.id}`, a)).json().thread).toMatchObject({ replyCount: 1, lastReplySeq: r1.seq });
    expect((await call('GET', '/threads', a)).json()).toMatchObject({ unreadThreads: 0, unreadMentions: 0 });
    await call('DELETE', `/messages/${r1.id}`, b);
    expect((await call('GET', `/messages/${root.id}`, a)).json().thread).toBeNull();
  });

  it('over the WebSocket: a reply sent by frame, its message.created with the root summary, and thread.state on the other device', async () => {
    const a = await register(t.app);
    const b = await register(t.app);
    const id = await group(a, [b]);
    const root = await send(a, id, 'ws root');
    const wsA = await WsClient.connect(t.wsUrl, a.token);
    const wsB = await WsClient.connect(t.wsUrl, b.token);
    const wsB2 = await WsClient.connect(t.wsUrl, b.token);
    try {
      wsB.send({ type: 'message.send', id: 'f1', conversationId: id, body: 'by frame', clientMsgId: 'thread-1', threadId: root.id, alsoInConversation: true });
      const ack = await wsB.next((f) => f.type === 'ack' && f.id === 'f1');
      expect(ack.message).toMatchObject({ threadId: root.id, alsoInConversation: true });
      const live = await wsA.next((f) => f.type === 'message.created' && f.message.id === ack.message.id);
      expect(live.thread).toMatchObject({ replyCount: 1, lastReplySeq: ack.message.seq, participantIds: [b.user.id] });

      wsB.send({ type: 'message.send', id: 'f2', conversationId: id, body: 'nested', clientMsgId: 'thread-2', threadId: ack.message.id });
      const refused = await wsB.next((f) => f.type === 'error' && f.id === 'f2');
      expect(refused.error.code).toBe('validation_failed');

      await call('DELETE', `/threads/${root.id}/follow`, b);
      const state = await wsB2.next((f) => f.type === 'thread.state');
      expect(state).toEqual({ type: 'thread.state', conversationId: id, rootId: root.id, following: false, lastReadSeq: ack.message.seq });
    } finally {
      wsA.close();
      wsB.close();
      wsB2.close();
    }
  });
});
