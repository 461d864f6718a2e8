/** The web client's rule for showing @username beside a display name (web/src/name-clash.ts). */
import { describe, expect, it } from 'vitest';
import { ambiguousNames, mixesScripts, nameSkeleton } from '../../web/src/name-clash.js';

const u = (id: string, username: string, displayName: string) => ({ id, username, displayName });

describe('ambiguousNames', () => {
  it('flags both people who share a display name, whatever the case, accents or width', () => {
    expect([...ambiguousNames([u('1', 'ann', 'Ann Lee'), u('2', 'ann2', 'ann lée'), u('3', 'bob', 'Bob')])].sort()).toEqual(['1', '2']);
    expect(ambiguousNames([u('1', 'a1', 'Ｏｗｎｅｒ'), u('2', 'a2', 'owner')]).size).toBe(2);
  });

  it("flags a display name that is another person's username, not one's own", () => {
    expect([...ambiguousNames([u('1', 'owner1', 'Olivia'), u('2', 'mallory', 'owner1')])]).toEqual(['2']);
    expect(ambiguousNames([u('1', 'owner1', 'owner1')]).size).toBe(0);
  });

  it('flags Cyrillic and Greek look-alikes of a Latin name, and names that mix those scripts', () => {
    // "оwner" with a Cyrillic о, against the real one.
    expect(ambiguousNames([u('1', 'o1', 'owner'), u('2', 'o2', '\u043Ewner')]).size).toBe(2);
    expect(mixesScripts('P\u0430ypal')).toBe(true);
    expect([...ambiguousNames([u('1', 'p', 'P\u0430ypal')])]).toEqual(['1']);
    expect(nameSkeleton('\u0391lice')).toBe(nameSkeleton('alice'));
  });

  it('leaves distinct names, and names in one other script, alone', () => {
    expect(ambiguousNames([u('1', 'lina', '李娜'), u('2', 'zw', '张伟'), u('3', 'ivan', 'Иван'), u('4', 'alice', 'Alice')]).size).toBe(0);
  });
});
