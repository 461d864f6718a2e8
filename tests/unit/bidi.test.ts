/**
 * Bidi controls in message text (issue 26.6): the web client's rendering of text and links
 * (web/src/message-parts.ts) and the server's notification excerpts neutralize them.
 */
import { describe, expect, it } from 'vitest';
import { neutralizeBidi, stripBidi } from '../../src/protocol/bidi.js';
import { digestMail, excerpt, pushNotification } from '../../src/services/notifications/notification-content.js';
import { messageParts, safeHref } from '../../web/src/message-parts.js';

const RLO = '\u202e';
const SPOOF = `${RLO}https://evil.example/moc.elgoog.stnuocca//:sptth`;
const CONTROLS = ['\u202a', '\u202b', '\u202c', '\u202d', '\u202e', '\u2066', '\u2067', '\u2068', '\u2069'];
const ANY_BIDI = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

describe('the web client rendering of a message', () => {
  it('shows the spoofed link of the issue as what it is: no override, text and target on evil.example', () => {
    const parts = messageParts(`look: ${SPOOF}`, new Set());
    expect(parts).toEqual([
      { kind: 'text', text: 'look: ' },
      { kind: 'link', href: 'https://evil.example/moc.elgoog.stnuocca//:sptth', text: 'https://evil.example/moc.elgoog.stnuocca//:sptth' },
    ]);
  });

  it.each(CONTROLS)('removes U+%s from text, links and mentions alike', (control) => {
    const parts = messageParts(`a${control}b https://x.example/${control}p ${control}@bob!`, new Set(['bob']));
    for (const p of parts) expect(p.text).not.toMatch(ANY_BIDI);
    expect(parts.find((p) => p.kind === 'link')).toEqual({ kind: 'link', href: 'https://x.example/p', text: 'https://x.example/p' });
    expect(parts.find((p) => p.kind === 'mention')).toMatchObject({ text: '@bob' });
  });

  it('strips LRM, RLM and ALM from a link, and keeps them in right-to-left prose', () => {
    const prose = 'שלום\u200f, עולם';
    const parts = messageParts(`${prose} https://a.example/\u200fx\u200e\u061cy`, new Set());
    expect(parts[0]).toEqual({ kind: 'text', text: `${prose} ` });
    expect(parts[1]).toEqual({ kind: 'link', href: 'https://a.example/xy', text: 'https://a.example/xy' });
  });

  it('takes bidi characters out of a target before reading it', () => {
    expect(safeHref(`https://good.example/${RLO}a`)).toBe('https://good.example/a');
    expect(safeHref(`java${RLO}script:alert(1)`)).toBeNull();
  });

  it('leaves text without bidi controls as it was', () => {
    const text = 'Hi @bob, see https://en.wikipedia.org/wiki/Foo_(bar)). 你好 مرحبا';
    expect(neutralizeBidi(text)).toBe(text);
    expect(messageParts(text, new Set(['bob'])).map((p) => p.text).join('')).toBe(text);
  });
});

describe('text the server shows elsewhere (push notifications, e-mail digests)', () => {
  it('has no bidi override in an excerpt or in a notification title', () => {
    expect(excerpt(SPOOF)).toBe('https://evil.example/moc.elgoog.stnuocca//:sptth');
    const push = pushNotification(
      { conversationId: 'c', messageId: 'm', seq: 1, body: SPOOF, attachments: 0, kind: 'group', conversationName: `${RLO}lanif`, senderName: `ev${RLO}e` },
      'https://chat.example',
    );
    expect(JSON.stringify(push)).not.toMatch(ANY_BIDI);
  });

  it('has none in a digest e-mail, text or HTML', () => {
    const mail = digestMail(
      'a@example.com',
      [{ conversationId: 'c', kind: 'group', conversationName: 'g', senderName: 'eve', body: SPOOF, attachments: 0, createdAt: new Date(), displayName: 'Al' } as never],
      'https://chat.example',
    );
    expect(mail.text).not.toMatch(ANY_BIDI);
    expect(mail.html).not.toMatch(ANY_BIDI);
  });

  it('stripBidi removes every control and mark', () => {
    expect(stripBidi(`a${CONTROLS.join('')}\u200e\u200f\u061cb`)).toBe('ab');
  });
});
