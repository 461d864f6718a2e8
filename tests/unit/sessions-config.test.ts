/** SESSION_IDLE_DAYS / SESSION_MAX_DAYS, and the device labels of the sessions list. */
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../src/core/config.js';
import { cleanUserAgent, deviceLabel } from '../../src/services/identity/user-agent.js';

describe('session settings', () => {
  it('default to 30 idle days and a 365-day cap; "off" lifts the cap', () => {
    expect(parseConfig({}).sessions).toEqual({ idleDays: 30, maxDays: 365 });
    expect(parseConfig({ SESSION_IDLE_DAYS: '7', SESSION_MAX_DAYS: 'off' }).sessions).toEqual({ idleDays: 7, maxDays: null });
  });

  it('refuse a bad value, naming the variable, and a cap shorter than the idle time', () => {
    expect(() => parseConfig({ SESSION_IDLE_DAYS: '0' })).toThrow(ConfigError);
    expect(() => parseConfig({ SESSION_IDLE_DAYS: 'soon' })).toThrow(/SESSION_IDLE_DAYS/);
    expect(() => parseConfig({ SESSION_IDLE_DAYS: '60', SESSION_MAX_DAYS: '30' })).toThrow(/SESSION_MAX_DAYS/);
  });
});

describe('device labels', () => {
  it.each([
    ['Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36', 'Chrome on Linux'],
    ['Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0', 'Firefox on Windows'],
    ['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0', 'Edge on Windows'],
    ['Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15', 'Safari on macOS'],
    ['Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36', 'Chrome on Android'],
    ['Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36', 'Chrome on Linux'],
    ['node', 'Parley API client'],
    ['parley-bot/1.0', 'Parley API client'],
    ['curl/8.5.0', 'curl'],
    ['', 'Unknown device'],
  ])('%s → %s', (ua, label) => {
    expect(deviceLabel(ua)).toBe(label);
  });

  it('keeps at most 512 characters of a User-Agent, without control characters', () => {
    expect(cleanUserAgent(`a\u0000b${'x'.repeat(600)}`)).toBe(`ab${'x'.repeat(510)}`);
    expect(cleanUserAgent(undefined)).toBeNull();
  });
});
