/** The Web Push settings of the config: VAPID keys together and well-formed, a usable subject, PUSH_ALLOW_PRIVATE. */
import webpush from 'web-push';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../src/core/config.js';
import { defaultVapidSubject } from '../../src/services/notifications/push-sender.js';

const keys = webpush.generateVAPIDKeys();

describe('push config', () => {
  it('defaults to generated keys, a derived subject and private endpoints refused', () => {
    expect(parseConfig({}).push).toEqual({ vapid: null, subject: null, allowPrivate: false });
  });

  it('takes a valid key pair, subject and PUSH_ALLOW_PRIVATE', () => {
    const c = parseConfig({ VAPID_PUBLIC_KEY: keys.publicKey, VAPID_PRIVATE_KEY: keys.privateKey, VAPID_SUBJECT: 'mailto:ops@example.com', PUSH_ALLOW_PRIVATE: 'on' });
    expect(c.push).toEqual({ vapid: keys, subject: 'mailto:ops@example.com', allowPrivate: true });
  });

  it.each([
    [{ VAPID_PUBLIC_KEY: keys.publicKey }, 'VAPID_PRIVATE_KEY'],
    [{ VAPID_PRIVATE_KEY: keys.privateKey }, 'VAPID_PUBLIC_KEY'],
    [{ VAPID_PUBLIC_KEY: keys.privateKey, VAPID_PRIVATE_KEY: keys.privateKey }, 'VAPID_PUBLIC_KEY'],
    [{ VAPID_PUBLIC_KEY: keys.publicKey, VAPID_PRIVATE_KEY: 'not+base64/url' }, 'VAPID_PRIVATE_KEY'],
    [{ VAPID_SUBJECT: 'http://example.com' }, 'VAPID_SUBJECT'],
    [{ VAPID_SUBJECT: 'admin@example.com' }, 'VAPID_SUBJECT'],
    [{ PUSH_ALLOW_PRIVATE: 'maybe' }, 'PUSH_ALLOW_PRIVATE'],
  ])('refuses %o naming %s', (env, variable) => {
    expect(() => parseConfig(env)).toThrow(ConfigError);
    expect(() => parseConfig(env)).toThrow(variable);
  });

  it('derives a subject: the https public URL, else MAIL_FROM, else a placeholder', () => {
    expect(defaultVapidSubject('https://chat.example.com', null)).toBe('https://chat.example.com');
    expect(defaultVapidSubject('http://127.0.0.1:3000', 'Parley <chat@example.com>')).toBe('mailto:chat@example.com');
    expect(defaultVapidSubject('https://localhost:3000', null)).toBe('mailto:postmaster@parley.invalid');
  });
});
