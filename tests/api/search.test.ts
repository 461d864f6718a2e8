import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { queryTerms, searchTerms } from '../../src/db/search-terms.js';
import { queryRows } from '../../src/db/sql.js';
import { createLogger } from '../../src/core/logger.js';
import { SearchPrefixesRepository } from '../../src/db/repositories/search-prefixes.repository.js';
import { SettingsRepository } from '../../src/db/repositories/settings.repository.js';
import { SearchPrefixBackfill } from '../../src/services/messaging/search-prefix-backfill.js';
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

  it('adds marked prefixes of 3 to 10 characters shorter than each word, none of CJK runs', () => {
    expect(searchTerms('Meeting 会议').sort()).toEqual(['meeting', 'mee*', 'meet*', 'meeti*', 'meetin*', '会议'].sort());
    expect(searchTerms('fix')).toEqual(['fix']);
    expect(searchTerms('go')).toEqual(['go']);
    expect(searchTerms('internationalization')).toEqual(expect.arrayContaining(['internationalization', 'internatio*']));
    expect(searchTerms('internationalization')).not.toContain('internation*');
  });

  it('looks words up as prefixes (whole words under three characters), CJK runs as bigrams', () => {
    expect(queryTerms('Meet 技术讨论 go')).toEqual({ all: ['技术', '术讨', '讨论', 'go'], anyOf: [['meet', 'meet*']], longPrefixes: [] });
    expect(queryTerms('Internationalization')).toEqual({ all: ['internatio*'], anyOf: [], longPrefixes: ['internationalization'] });
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

  it('documents the syntax in /openapi.json', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json() as { paths: Record<string, { get?: { description?: string } }> };
    const description = Object.entries(doc.paths).find(([path]) => path.endsWith('/search/messages'))?.[1].get?.description ?? '';
    expect(description).toContain('meet finds meet, Meeting and meetings');
    expect(description).toContain('whole words only');
  });

  it('refuses a query too short or without letters, and a bad cursor, with 400', async () => {
    const a = await register(t.app);
    for (const q of ['a', '  ', '!!', 'x'.repeat(201)]) {
      expect((await call('GET', `/search/messages?q=${encodeURIComponent(q)}`, a)).statusCode, q).toBe(400);
    }
    expect((await call('GET', '/search/messages?q=hello&cursor=zzz', a)).statusCode).toBe(400);
    expect((await call('GET', '/search/messages', a)).statusCode).toBe(400);
  });

  it('matches word prefixes of three characters or more, every word of the query, any case', async () => {
    const a = await register(t.app);
    const g = (await call('POST', '/groups', a, { name: 'p' })).json();
    for (const body of ['Meeting at noon', 'two meetings today', 'we meet tomorrow', 'MEETUP notes', 'a homeowners meet-up', 'internationalization done', 'international call', 'go home', 'gopher']) {
      await call('POST', `/conversations/${g.id}/messages`, a, { body });
    }
    const bodies = async (q: string) => (await search(a, q)).messages.map((m) => m.body);
    expect(await bodies('meet')).toEqual(['a homeowners meet-up', 'MEETUP notes', 'we meet tomorrow', 'two meetings today', 'Meeting at noon']);
    expect(await bodies('MEETING')).toEqual(['two meetings today', 'Meeting at noon']);
    // A full word still matches itself, and a prefix never matches inside a word.
    expect(await bodies('meetings')).toEqual(['two meetings today']);
    expect(await bodies('owners')).toEqual([]);
    // Every word is a prefix, in any order.
    expect(await bodies('meet tom')).toEqual(['we meet tomorrow']);
    expect(await bodies('tod meeti')).toEqual(['two meetings today']);
    // Longer than the stored prefixes: checked against the whole words.
    expect(await bodies('internationaliz')).toEqual(['internationalization done']);
    expect(await bodies('internationa')).toEqual(['international call', 'internationalization done']);
    expect(await bodies('internationally')).toEqual([]);
    // Under three characters: whole words only.
    expect(await bodies('go')).toEqual(['go home']);
    expect(await bodies('gop')).toEqual(['gopher']);
  });

  it('combines English prefixes with Chinese substrings, which match exactly as before', async () => {
    const a = await register(t.app);
    const g = (await call('POST', '/groups', a, { name: 'mixed' })).json();
    for (const body of ['明天的技术讨论会议 planning', '技术讨论 deployment', '讨论 plan', 'planning only']) {
      await call('POST', `/conversations/${g.id}/messages`, a, { body });
    }
    const bodies = async (q: string) => (await search(a, q)).messages.map((m) => m.body);
    expect(await bodies('讨论 plan')).toEqual(['讨论 plan', '明天的技术讨论会议 planning']);
    expect(await bodies('技术讨论 dep')).toEqual(['技术讨论 deployment']);
    expect(await bodies('plann讨论')).toEqual(['明天的技术讨论会议 planning']);
    // A Chinese run is a substring, never a prefix: 讨论会 is one, 讨论组 is not.
    expect(await bodies('讨论会')).toEqual(['明天的技术讨论会议 planning']);
    expect(await bodies('讨论组')).toEqual([]);
  });

  it('finds an edited message by the prefixes of its new text only, and a deleted one not at all', async () => {
    const a = await register(t.app);
    const g = (await call('POST', '/groups', a, { name: 'edits' })).json();
    const m = (await call('POST', `/conversations/${g.id}/messages`, a, { body: 'quarterly budget' })).json();
    const gone = (await call('POST', `/conversations/${g.id}/messages`, a, { body: 'budgetary concerns' })).json();
    expect((await search(a, 'budg')).messages.map((x) => x.id)).toEqual([gone.id, m.id]);
    expect((await call('PATCH', `/messages/${m.id}`, a, { body: 'annual forecast' })).statusCode).toBe(200);
    await call('DELETE', `/messages/${gone.id}`, a);
    expect((await search(a, 'budg')).messages).toEqual([]);
    expect((await search(a, 'quart')).messages).toEqual([]);
    expect((await search(a, 'forec')).messages.map((x) => x.id)).toEqual([m.id]);
    expect((await search(a, 'concer')).messages).toEqual([]);
  });

  it('backfills the prefix terms of messages stored before prefix search, in batches, from where it stopped', async () => {
    const a = await register(t.app);
    const g = (await call('POST', '/groups', a, { name: 'old' })).json();
    const ids: string[] = [];
    for (const body of ['Retrospective 技术讨论', 'retro board', 'plain text']) ids.push((await call('POST', `/conversations/${g.id}/messages`, a, { body })).json().id);
    const deleted = (await call('POST', `/conversations/${g.id}/messages`, a, { body: 'retired words' })).json().id;
    await call('DELETE', `/messages/${deleted}`, a);
    // As stored before: whole words and bigrams only, still found by whole words until the backfill.
    const db = t.database.db;
    await db.execute(sql`UPDATE messages SET search_terms = ARRAY(SELECT x FROM unnest(search_terms) x WHERE right(x, 1) <> '*')`);
    await db.execute(sql`DELETE FROM settings WHERE key = 'search.prefixBackfill'`);
    expect((await search(a, 'retro')).messages.map((m) => m.id)).toEqual([ids[1]]);

    const backfill = new SearchPrefixBackfill(new SearchPrefixesRepository(db), new SettingsRepository(db), createLogger({ level: 'silent', logDir: null }), {
      batchSize: 2,
      pauseMs: 0,
    });
    await backfill.run();
    expect((await search(a, 'retro')).messages.map((m) => m.id)).toEqual([ids[1], ids[0]]);
    const rows = await queryRows<{ id: string; search_terms: string[] | string }>(db, sql`SELECT id, search_terms FROM messages WHERE conversation_id = ${g.id}::uuid`);
    const parse = (v: string[] | string) => (Array.isArray(v) ? v : v.slice(1, -1).split(',').filter(Boolean));
    for (const row of rows) {
      const body = ['Retrospective 技术讨论', 'retro board', 'plain text'][ids.indexOf(row.id)];
      // The SQL backfill gives exactly the terms searchTerms() gives a new message; a deleted one keeps none.
      expect(parse(row.search_terms).sort(), row.id).toEqual(body === undefined ? [] : searchTerms(body).sort());
    }
    const [position] = await queryRows<{ value: string }>(db, sql`SELECT value FROM settings WHERE key = 'search.prefixBackfill'`);
    expect(position?.value).toBe(deleted);
    // A message stored later without prefixes (as a node of the previous release stores it) is
    // taken by the next run, which starts after the last id done.
    const late = (await call('POST', `/conversations/${g.id}/messages`, a, { body: 'retroactive' })).json().id;
    await db.execute(sql`UPDATE messages SET search_terms = ARRAY['retroactive'] WHERE id = ${late}::uuid`);
    await backfill.run();
    expect((await search(a, 'retroa')).messages.map((m) => m.id)).toEqual([late]);

    // A run stops at the messages stored before it started: sends during it (which have their
    // prefixes) are not chased, so a busy node's run ends.
    await db.execute(sql`DELETE FROM settings WHERE key = 'search.prefixBackfill'`);
    const prefixes = new SearchPrefixesRepository(db);
    let during: string | null = null;
    const batchOf = prefixes.backfillBatch.bind(prefixes);
    prefixes.backfillBatch = async (after, limit, until) => {
      during ??= (await call('POST', `/conversations/${g.id}/messages`, a, { body: 'sent during the run' })).json().id as string;
      return batchOf(after, limit, until);
    };
    const chasing = new SearchPrefixBackfill(prefixes, new SettingsRepository(db), createLogger({ level: 'silent', logDir: null }), { batchSize: 2, pauseMs: 0 });
    await chasing.run();
    const [stopped] = await queryRows<{ value: string }>(db, sql`SELECT value FROM settings WHERE key = 'search.prefixBackfill'`);
    expect(stopped?.value).toBe(late);
    expect(during! > late).toBe(true);
  });
});

describe('search filters', () => {
  it('from:, in:, days, has:, is: and quoted phrases narrow the results, alone or with words', async () => {
    const a = await register(t.app);
    const b = await register(t.app);
    const stranger = await register(t.app);
    const groupName = `设计 组 ${Date.now()}`;
    const g = (await call('POST', '/groups', a, { name: groupName, memberIds: [b.user.id] })).json().id as string;
    const other = (await call('POST', '/groups', a, { name: `other ${Date.now()}`, memberIds: [b.user.id] })).json().id as string;
    const dm = (await call('POST', '/conversations/direct', a, { userId: b.user.id })).json().id as string;
    const post = async (who: Account, cid: string, body: string, extra: Record<string, unknown> = {}) =>
      (await call('POST', `/conversations/${cid}/messages`, who, { body, ...extra })).json() as { id: string; createdAt: string };
    const m1 = await post(a, g, 'release notes for 上线 计划 filterword');
    const m2 = await post(b, g, 'notes about the release filterword see https://example.com/x');
    const m3 = await post(b, other, 'filterword in the other group');
    const m4 = await post(b, dm, 'filterword between us');
    const upload = (
      await t.app.inject({
        method: 'POST',
        url: '/api/v1/uploads',
        headers: { authorization: `Bearer ${a.token}`, 'content-type': 'multipart/form-data; boundary=X' },
        payload: '--X\r\nContent-Disposition: form-data; name="file"; filename="n.txt"\r\nContent-Type: text/plain\r\n\r\nhello\r\n--X--\r\n',
      })
    ).json().id as string;
    const m5 = await post(a, g, 'filterword with a file', { attachmentIds: [upload] });
    await call('PUT', `/conversations/${g}/pins/${m1.id}`, a);
    await call('PUT', `/messages/${m2.id}/reactions/${encodeURIComponent('👍')}`, a);
    const reply = await post(b, g, 'filterword in a thread', { threadId: m1.id });
    const ids = async (q: string, who: Account = a, extra = '') => (await search(who, q, extra)).messages.map((m) => m.id).sort();

    expect(await ids(`filterword from:${b.user.username}`)).toEqual([m2.id, m3.id, m4.id, reply.id].sort());
    expect(await ids(`filterword from:me`)).toEqual([m1.id, m5.id].sort());
    expect(await ids(`filterword in:"${groupName}"`)).toEqual([m1.id, m2.id, m5.id, reply.id].sort());
    expect(await ids(`filterword in:@${b.user.username}`)).toEqual([m4.id]);
    expect(await ids(`filterword has:link`)).toEqual([m2.id]);
    expect(await ids(`filterword has:file`)).toEqual([m5.id]);
    expect(await ids(`filterword has:reaction`)).toEqual([m2.id]);
    expect(await ids(`filterword is:pinned`)).toEqual([m1.id]);
    expect(await ids(`filterword is:thread`)).toEqual([reply.id]);
    expect(await ids(`"release notes" filterword`)).toEqual([m1.id]);
    // Filters alone; a filter that names no one, or a group not the caller's, matches nothing.
    expect(await ids(`from:me has:file in:"${groupName}"`)).toEqual([m5.id]);
    expect(await ids(`filterword from:nobody_${Date.now()}`)).toEqual([]);
    expect(await ids(`filterword in:"${groupName}"`, stranger)).toEqual([]);
    // Days: today (in UTC) holds them all, tomorrow none; a day is read in the time zone given.
    const today = m1.createdAt.slice(0, 10);
    if (reply.createdAt.slice(0, 10) === today) expect(await ids(`filterword on:${today}`)).toHaveLength(6);
    expect(await ids(`filterword before:${today}`)).toEqual([]);
    expect(await ids(`filterword after:${today}`)).toEqual([]);
    expect((await call('GET', `/search/messages?q=${encodeURIComponent('on:2026-01-01')}&tz=Mars/Olympus`, a)).json().error).toMatchObject({ code: 'validation_failed', details: { field: 'tz' } });
    expect((await call('GET', `/search/messages?q=${encodeURIComponent('has:gif x')}`, a)).statusCode).toBe(400);
  });
});
