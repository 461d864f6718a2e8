import { describe, expect, it } from 'vitest';
import { startOfDay } from '../../src/core/time-zone.js';
import { dateRange, hasFilters, parseSearch } from '../../src/services/messaging/search-query.js';

describe('search box language', () => {
  it('takes filters, quoted values and phrases, and leaves the rest as text', () => {
    const p = parseSearch('from:@alice in:"产品 组" before:2026-12-01 has:file is:Pinned "release notes" meeting 10:30 http://x.y');
    expect(p).toMatchObject({
      from: ['alice'],
      in: ['产品 组'],
      before: '2026-12-01',
      has: ['file'],
      is: ['pinned'],
      phrases: ['release notes'],
    });
    expect(p.text).toBe('release notes meeting 10:30 http://x.y');
    expect(hasFilters(p)).toBe(true);
    expect(hasFilters(parseSearch('just words'))).toBe(false);
  });

  it('accepts the full-width colon and Chinese quotes that Chinese input methods type, and # and @ forms of in:', () => {
    const p = parseSearch('from：李娜 in:#设计 in:@bob “上线 计划” 会议');
    expect(p).toMatchObject({ from: ['李娜'], in: ['设计', '@bob'], phrases: ['上线 计划'] });
    expect(p.text).toBe('上线 计划 会议');
  });

  it.each([
    ['before:yesterday', 'before: takes a day'],
    ['on:2026-02-30', 'on: takes a day'],
    ['has:gif', 'has: takes file, link, reaction'],
    ['after:9999-12-31', 'after: takes a day'],
    ['is:starred', 'is: takes pinned, thread'],
    ['from:', 'from: needs a value'],
    [Array.from({ length: 11 }, () => 'has:file').join(' '), 'at most 10 filters'],
  ])('refuses %s with a clear message', (q, message) => {
    expect(() => parseSearch(q)).toThrow(message);
  });

  it('reads days in the given time zone, across a daylight saving change', () => {
    expect(startOfDay('2026-12-01', 'UTC').toISOString()).toBe('2026-12-01T00:00:00.000Z');
    expect(startOfDay('2026-12-01', 'Asia/Shanghai').toISOString()).toBe('2026-11-30T16:00:00.000Z');
    // New York moves to summer time at 02:00 on 2026-03-08: that day starts at 05:00Z, the next at 04:00Z.
    expect(startOfDay('2026-03-08', 'America/New_York').toISOString()).toBe('2026-03-08T05:00:00.000Z');
    expect(startOfDay('2026-03-09', 'America/New_York').toISOString()).toBe('2026-03-09T04:00:00.000Z');
    const on = dateRange({ before: null, after: null, on: '2026-12-01' }, 'Asia/Shanghai');
    expect([on.from?.toISOString(), on.until?.toISOString()]).toEqual(['2026-11-30T16:00:00.000Z', '2026-12-01T16:00:00.000Z']);
    const span = dateRange({ before: '2026-12-10', after: '2026-12-01', on: null }, 'UTC');
    expect([span.from?.toISOString(), span.until?.toISOString()]).toEqual(['2026-12-02T00:00:00.000Z', '2026-12-10T00:00:00.000Z']);
  });
});
