/**
 * The server's own sentences (src/services/notifications/server-text.ts) in the recipient's language: pushes in
 * English by default and in Simplified Chinese for a saved 'zh-CN'; an unknown saved value falls
 * back to English; every sentence of the catalog exists in both languages.
 */
import { describe, expect, it } from 'vitest';
import { pushNotification, type PushMessage } from '../../src/services/notifications/notification-content.js';
import { LOCALES, localeOf, serverText } from '../../src/services/notifications/server-text.js';

const message = (over: Partial<PushMessage>): PushMessage => ({
  conversationId: 'c',
  messageId: 'm',
  seq: 1,
  body: '',
  attachments: 0,
  kind: 'group',
  conversationName: 'design',
  senderName: 'Ann',
  ...over,
});

describe('server texts by language', () => {
  it('pushes: who and where, and attachments counted, in English when nothing is saved', () => {
    const p = pushNotification(message({ attachments: 3 }), 'https://chat.example');
    expect(p.title).toBe('Ann in design');
    expect(p.body).toBe('sent 3 attachments');
    expect(pushNotification(message({ attachments: 1 }), 'https://chat.example').body).toBe('sent an attachment');
  });

  it('pushes in Simplified Chinese for a saved zh-CN', () => {
    const p = pushNotification(message({ attachments: 2, conversationName: null }), 'https://chat.example', 'zh-CN');
    expect(p.title).toBe('Ann（某个群组）');
    expect(p.body).toBe('发送了 2 个附件');
    expect(pushNotification(message({ body: '你好 **世界**' }), 'https://chat.example', 'zh-CN').body).toBe('你好 世界');
  });

  it('falls back to English for an unknown saved language', () => {
    expect(localeOf('fr')).toBe('en');
    expect(localeOf(null)).toBe('en');
    expect(localeOf('zh-CN')).toBe('zh-CN');
    expect(pushNotification(message({ attachments: 2 }), 'https://chat.example', 'de').body).toBe('sent 2 attachments');
  });

  it('has every sentence in every language, none empty', () => {
    const shape = (o: object): string[] =>
      Object.entries(o).flatMap(([k, v]) => (typeof v === 'object' && !Array.isArray(v) ? shape(v as object).map((s) => `${k}.${s}`) : [`${k}:${typeof v}`]));
    const en = shape(serverText('en'));
    for (const l of LOCALES) {
      expect(shape(serverText(l))).toEqual(en);
      const zh = serverText(l);
      expect(zh.digest.subject(2, 'Ann').length).toBeGreaterThan(0);
      expect(zh.reset.lines('ann', 'https://x').join('')).toContain('ann');
    }
  });
});
