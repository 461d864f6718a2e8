/**
 * An export's page size follows what its pages take (issue 26): a page is the longest anyone
 * else waits for the export on the embedded database, and rows read for the first time cost
 * several times what they cost later.
 */
import { describe, expect, it } from 'vitest';
import { EXPORT_PAGE_ROWS, EXPORT_PAGE_TARGET_MS, PageSizer } from '../../src/services/data/export-stream.js';

describe('PageSizer', () => {
  it('shrinks at once when pages are slow, so a cold page stays near the target', () => {
    const s = new PageSizer();
    expect(s.rows).toBe(EXPORT_PAGE_ROWS);
    // 50 cold rows took 17.7 ms (the bench's first export): 0.354 ms a row.
    s.took(17.7, 50);
    expect(s.rows).toBe(Math.floor((EXPORT_PAGE_TARGET_MS * 50) / 17.7));
    expect(s.rows * 0.354).toBeLessThanOrEqual(EXPORT_PAGE_TARGET_MS);
  });

  it('grows at most twofold a page when pages are quick, up to a ceiling', () => {
    const s = new PageSizer();
    const sizes: number[] = [];
    for (let k = 0; k < 10; k++) {
      s.took(0.5, s.rows);
      sizes.push(s.rows);
    }
    expect(sizes.slice(0, 3)).toEqual([100, 200, 400]);
    expect(Math.max(...sizes)).toBe(500);
    expect(sizes.at(-1)).toBe(500);
  });

  it('never goes below a floor, even when a page stalls for long', () => {
    const s = new PageSizer();
    s.took(5_000, 50);
    expect(s.rows).toBe(10);
  });

  it('ignores an empty page, and reports the last page by its short count', async () => {
    const s = new PageSizer();
    s.took(100, 0);
    expect(s.rows).toBe(EXPORT_PAGE_ROWS);
    const full = await s.page(async (limit) => Array.from({ length: limit }, (_, i) => i));
    expect(full.last).toBe(false);
    const asked = s.rows;
    const short = await s.page(async (limit) => Array.from({ length: limit - 1 }, (_, i) => i));
    expect(short.rows).toHaveLength(asked - 1);
    expect(short.last).toBe(true);
  });
});
