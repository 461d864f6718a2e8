/** What imports make of the sources' words: Slack's markup, emoji names, usernames (src/services/data/import/). */
import { describe, expect, it } from 'vitest';
import { reactionEmoji } from '../../src/services/data/import/emoji.js';
import { lineOfElement } from '../../src/services/data/import/model.js';
import { renderSlackText, slackMentions } from '../../src/services/data/import/slack-text.js';
import { usernameBase } from '../../src/services/data/import/users.js';
import { validEmoji } from '../../src/core/emoji.js';

const names: Record<string, string> = { U1: 'li.lei', U2: 'hanmeimei' };
const nameOf = (k: string): string | null => names[k] ?? null;

describe('Slack text as Markdown', () => {
  it('turns mentions, channels, broadcasts and links into Parley text', () => {
    expect(renderSlackText('hi <@U1>, ask <@U2|hmm> in <#C9|general> <!here>', nameOf)).toBe('hi @li.lei, ask @hanmeimei in #general @here');
    expect(renderSlackText('<!channel> and <!everyone>: <!subteam^S1|@devs>', nameOf)).toBe('@all and @all: @devs');
    expect(renderSlackText('see <https://example.com/a?b=1&amp;c=2|the doc> or <https://example.com>', nameOf)).toBe('see [the doc](https://example.com/a?b=1&c=2) or https://example.com');
    expect(renderSlackText('mail <mailto:a@example.com|a@example.com>; unknown <@U404>', nameOf)).toBe('mail a@example.com; unknown @unknown');
    expect(slackMentions('<@U1> <@U2|x> <@U1>')).toEqual(['U1', 'U2']);
  });

  it('turns *bold* and ~strike~ into Markdown outside code, and unescapes entities', () => {
    expect(renderSlackText('a *big* ~old~ deal &lt;3 &amp; 中文 *粗体*', nameOf)).toBe('a **big** ~~old~~ deal <3 & 中文 **粗体**');
    expect(renderSlackText('`*not* &lt;b&gt;` and ```\n*code* <@U1>\n```', nameOf)).toBe('`*not* <b>` and ```\n*code* <@U1>\n```');
    expect(renderSlackText('2 * 3 * 4', nameOf)).toBe('2 * 3 * 4');
  });
});

describe('reaction names', () => {
  it('gives the common ones their emoji, skin tones included, and the rest the :name: form', () => {
    expect(reactionEmoji('thumbsup')).toBe('👍');
    expect(reactionEmoji('+1')).toBe('👍');
    expect(reactionEmoji('+1::skin-tone-4')).toBe('👍🏽');
    expect(reactionEmoji('heart')).toBe('❤️');
    expect(reactionEmoji('heart::skin-tone-2')).toBe('❤️');
    expect(reactionEmoji('partyparrot')).toBe(':partyparrot:');
    expect(reactionEmoji('Some Name!')).toBeNull();
    expect(reactionEmoji('x'.repeat(40))).toBeNull();
    for (const name of ['thumbsup', '+1::skin-tone-6', 'tada', 'white_check_mark', 'point_up::skin-tone-3', 'partyparrot', '100']) {
      expect(validEmoji(reactionEmoji(name)!), name).toBe(true);
    }
  });
});

describe('usernames', () => {
  it('makes a valid Parley username of any source name', () => {
    expect(usernameBase('li.lei')).toBe('li.lei');
    expect(usernameBase('José García')).toBe('Jose_Garcia');
    expect(usernameBase('张伟')).toBe('user_imported');
    expect(usernameBase('ab')).toBe('ab_imported');
    expect(usernameBase('a'.repeat(40))).toHaveLength(32);
  });
});

describe('lines of JSON array elements', () => {
  it('finds where an element begins, whatever is in the strings before it', () => {
    const text = JSON.stringify([{ a: 'x]"\\,{' }, { b: [1, { c: 2 }] }, 345], null, 4);
    expect([0, 1, 2, 3].map((i) => lineOfElement(text, i))).toEqual([2, 5, 13, null]);
    expect(lineOfElement('[{"a":1},{"b":2}]', 1)).toBe(1);
  });
});
