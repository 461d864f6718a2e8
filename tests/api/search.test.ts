import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { searchTerms } from '../../src/db/search-terms.js';
import { apiCaller, register, startTestApp, type Account, type TestApp } from '../helpers/app.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => t.close());

const call = apiCaller(() => t.app);
const search = async (who: Account, q: string, extra = '') =>
  (await call('GET', `/search/messages?q=${encodeURIComponent(q)}${extra}`, who)).json() as { messages: { body: string; id: string }[]; nextCursor: string | null };

describe('search terms', () => {
  it('makes words of Latin text and bigrams of Chinese runs, folding case and width', () => {
    expect(searchTerms('Hello ＷＯＲＬＤ, 技术讨论组!')).toEqual(expect.arrayContaining(['hello', 'world', '技术', '术讨', '讨论', '论组']));
    expect(searchTerms('好')).toEqual(['好']);
  });
});

describe('GET /search/messages', () => {
  it('finds Chinese substrings of two characters or more and English words, newest first', async () => {
    const a = await register(t.app);
    const g = (await call('POST', '/groups', a, { name: 's' })).json();
    for (const body of ['欢迎来到技术讨论组', '今天讨论一下性能', 'Deploy the release tonight', 'the RELEASE notes are ready', '讨 论 分开的字']) {
      await call('POST', `/conversations/${g.id}/messages`, a, { body });
    }
    expect((await search(a, '讨论')).messages.map((m) => m.body)).toEqual(['今天讨论一下性能', '欢迎来到技术讨论组']);
    expect((await search(a, '技术讨论')).messages.map((m) => m.body)).toEqual(['欢迎来到技术讨论组']);
    // Bigrams present but not contiguous: no match.
    expect((await search(a, '术组')).messages).toEqual([]);
    expect((await search(a, 'release')).messages.map((m) => m.body)).toEqual(['the RELEASE notes are ready', 'Deploy the release tonight']);
    expect((await search(a, 'release tonight')).messages.map((m) => m.body)).toEqual(['Deploy the release tonight']);
    expect((await search(a, 'nothing-here')).messages).toEqual([]);
  });

  it('searches only conversations the caller belongs to, never deleted messages, and pages with a cursor', async () => {
    const a = await register(t.app);
    const b = await register(t.app);
    const mine = (await call('POST', '/groups', a, { name: 'mine' })).json();
    const theirs = (await call('POST', '/groups', b, { name: 'theirs', visibility: 'public' })).json();
    await call('POST', `/conversations/${theirs.id}/messages`, b, { body: '秘密计划 zebra' });
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) ids.push((await call('POST', `/conversations/${mine.id}/messages`, a, { body: `zebra crossing ${i}` })).json().id);
    await call('DELETE', `/messages/${ids[3]}`, a);

    expect((await search(a, '秘密')).messages).toEqual([]);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await search(a, 'zebra', `&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...page.messages.map((m) => m.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(ids.filter((_, i) => i !== 3).reverse());

    const inOne = await call('GET', `/search/messages?q=zebra&conversationId=${theirs.id}`, a);
    expect(inOne.statusCode).toBe(403);
    const priv = (await call('POST', '/groups', b, { name: 'hidden' })).json();
    expect((await call('GET', `/search/messages?q=zebra&conversationId=${priv.id}`, a)).statusCode).toBe(404);
  });

  it('refuses a query too short or without letters, and a bad cursor, with 400', async () => {
    const a = await register(t.app);
    for (const q of ['a', '  ', '!!', 'x'.repeat(201)]) {
      expect((await call('GET', `/search/messages?q=${encodeURIComponent(q)}`, a)).statusCode, q).toBe(400);
    }
    expect((await call('GET', '/search/messages?q=hello&cursor=zzz', a)).statusCode).toBe(400);
    expect((await call('GET', '/search/messages', a)).statusCode).toBe(400);
  });
});
