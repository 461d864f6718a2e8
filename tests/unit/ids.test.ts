import { expect, it } from 'vitest';
import { isUuid, newId } from '../../src/core/ids.js';

it('makes valid version-7 UUIDs that increase even within one millisecond', () => {
  const ids = Array.from({ length: 10_000 }, () => newId());
  for (const id of ids.slice(0, 100)) {
    expect(isUuid(id)).toBe(true);
    expect(id[14]).toBe('7');
    expect('89ab').toContain(id[19]);
  }
  const sorted = [...ids].sort();
  expect(sorted).toEqual(ids);
  expect(new Set(ids).size).toBe(ids.length);
});
