/** The web client's custom emoji list under emoji.created / emoji.deleted frames (web/src/store/apply-emoji.ts). */
import { describe, expect, it } from 'vitest';
import type { CustomEmoji } from '../../src/client/index.js';
import { applyEmojiChange } from '../../web/src/store/apply-emoji.js';

const emoji = (name: string, v = '1'): CustomEmoji => ({ name, url: `/api/v1/emoji/${name}/image?v=${v}`, creator: null, createdAt: '2026-12-04T10:00:00.000Z' });

describe('applyEmojiChange', () => {
  it('adds in name order, replaces a name added again, and removes a deleted one', () => {
    let list: CustomEmoji[] = [emoji('b')];
    list = applyEmojiChange(list, { type: 'emoji.created', emoji: emoji('c') });
    list = applyEmojiChange(list, { type: 'emoji.created', emoji: emoji('a') });
    expect(list.map((e) => e.name)).toEqual(['a', 'b', 'c']);
    list = applyEmojiChange(list, { type: 'emoji.created', emoji: emoji('b', '2') });
    expect(list.map((e) => e.url)).toEqual(['/api/v1/emoji/a/image?v=1', '/api/v1/emoji/b/image?v=2', '/api/v1/emoji/c/image?v=1']);
    list = applyEmojiChange(list, { type: 'emoji.deleted', name: 'a' });
    // A frame for a name not held (missed, or already applied) changes nothing else.
    list = applyEmojiChange(list, { type: 'emoji.deleted', name: 'zzz' });
    expect(list.map((e) => e.name)).toEqual(['b', 'c']);
  });
});
