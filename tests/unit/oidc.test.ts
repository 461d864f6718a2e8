/** OpenID Connect: its configuration (OIDC_*), the mapping of a provider's claims to a new account, and the sealed state. */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../src/core/config.js';
import { redactUrl } from '../../src/core/logger.js';
import { profileFromClaims, usernameCandidate, usernameFrom } from '../../src/services/identity/oidc-profile.js';
import { seal, unseal } from '../../src/services/shared/sealed-box.js';

const BASE = { OIDC_ISSUER: 'https://id.example.com', OIDC_CLIENT_ID: 'parley', OIDC_CLIENT_SECRET: 's3cret', PUBLIC_URL: 'https://chat.example.com' };

/** The variable a bad environment is blamed on. */
function blamed(env: Record<string, string>): string | null {
  try {
    parseConfig(env, '/srv');
    return null;
  } catch (err) {
    if (err instanceof ConfigError) return err.variable;
    throw err;
  }
}

describe('OIDC_* configuration', () => {
  it('is off by default, and reads the issuer, client and defaults when set', () => {
    expect(parseConfig({}, '/srv').oidc).toBeNull();
    expect(parseConfig(BASE, '/srv').oidc).toEqual({
      issuer: 'https://id.example.com',
      clientId: 'parley',
      clientSecret: 's3cret',
      displayName: 'single sign-on',
      scopes: 'openid profile email',
      allowSignup: false,
    });
    const c = parseConfig({ ...BASE, OIDC_DISPLAY_NAME: ' Acme 登录 ', OIDC_SCOPES: 'openid email', OIDC_ALLOW_SIGNUP: 'on' }, '/srv').oidc!;
    expect(c).toMatchObject({ displayName: 'Acme 登录', scopes: 'openid email', allowSignup: true });
  });

  it('needs all three of issuer, client id and secret, or none', () => {
    expect(blamed({ ...BASE, OIDC_CLIENT_SECRET: '' })).toBe('OIDC_CLIENT_SECRET');
    expect(blamed({ OIDC_CLIENT_ID: 'x', PUBLIC_URL: BASE.PUBLIC_URL })).toBe('OIDC_ISSUER');
    expect(blamed({ OIDC_DISPLAY_NAME: 'Acme' })).toBe('OIDC_DISPLAY_NAME');
    expect(blamed({ OIDC_ALLOW_SIGNUP: 'on' })).toBe('OIDC_ALLOW_SIGNUP');
  });

  it('accepts http issuers only on loopback addresses', () => {
    expect(blamed({ ...BASE, OIDC_ISSUER: 'http://id.example.com' })).toBe('OIDC_ISSUER');
    expect(blamed({ ...BASE, OIDC_ISSUER: 'http://10.0.0.5:8080' })).toBe('OIDC_ISSUER');
    for (const issuer of ['http://127.0.0.1:9000', 'http://localhost:9000/realms/x', 'http://[::1]:9000']) {
      expect(parseConfig({ ...BASE, OIDC_ISSUER: issuer }, '/srv').oidc!.issuer).toBe(issuer);
    }
    expect(blamed({ ...BASE, OIDC_ISSUER: 'ftp://id.example.com' })).toBe('OIDC_ISSUER');
    expect(blamed({ ...BASE, OIDC_ISSUER: 'not a url' })).toBe('OIDC_ISSUER');
    expect(blamed({ ...BASE, OIDC_ISSUER: 'https://id.example.com/?x=1' })).toBe('OIDC_ISSUER');
  });

  it('refuses scopes without openid, a bad flag or label, and a missing PUBLIC_URL', () => {
    expect(blamed({ ...BASE, OIDC_SCOPES: 'profile email' })).toBe('OIDC_SCOPES');
    expect(blamed({ ...BASE, OIDC_ALLOW_SIGNUP: 'maybe' })).toBe('OIDC_ALLOW_SIGNUP');
    expect(blamed({ ...BASE, OIDC_DISPLAY_NAME: 'x'.repeat(65) })).toBe('OIDC_DISPLAY_NAME');
    expect(blamed({ ...BASE, PUBLIC_URL: '' })).toBe('PUBLIC_URL');
  });
});

describe('a new account from the provider’s claims', () => {
  it('takes the username from preferred_username, else the e-mail local part, else the name, made valid', () => {
    expect(profileFromClaims({ sub: '1', preferred_username: 'ada' }).username).toBe('ada');
    expect(profileFromClaims({ sub: '1', preferred_username: 'José María' }).username).toBe('Jose_Maria');
    expect(profileFromClaims({ sub: '1', preferred_username: 'ada@corp', email: 'x@y.z' }).username).toBe('ada_corp');
    expect(profileFromClaims({ sub: '1', email: 'grace.hopper+chat@navy.mil' }).username).toBe('grace.hopper_chat');
    expect(profileFromClaims({ sub: '1', name: 'Alan Turing' }).username).toBe('Alan_Turing');
    expect(profileFromClaims({ sub: '1', name: '张三' }).username).toBe('user');
    expect(profileFromClaims({ sub: '1', preferred_username: 'jo' }).username).toBe('jo_user');
    expect(profileFromClaims({ sub: '1', preferred_username: 'x'.repeat(50) }).username).toBe('x'.repeat(32));
    expect(usernameFrom('--__..a..__--')).toBe('a');
  });

  it('makes a taken username unique with a suffix that fits in 32 characters', () => {
    const rnd = () => 'abc123';
    expect(usernameCandidate('carol', 0, rnd)).toBe('carol');
    expect(usernameCandidate('carol', 1, rnd)).toBe('carol_2');
    expect(usernameCandidate('carol', 4, rnd)).toBe('carol_5');
    expect(usernameCandidate('carol', 5, rnd)).toBe('carol_abc123');
    const long = 'y'.repeat(32);
    expect(usernameCandidate(long, 1, rnd)).toBe(`${'y'.repeat(30)}_2`);
    expect(usernameCandidate(long, 7, rnd)).toHaveLength(32);
  });

  it('takes the display name from name (1-64 characters, control characters gone), else the username', () => {
    expect(profileFromClaims({ sub: '1', preferred_username: 'ada', name: '  Ada\u0000 Lovelace 艾达 🎈 ' }).displayName).toBe('Ada Lovelace 艾达 🎈');
    expect(profileFromClaims({ sub: '1', preferred_username: 'ada' }).displayName).toBe('ada');
    expect([...profileFromClaims({ sub: '1', name: '😀'.repeat(70) }).displayName]).toHaveLength(64);
  });

  it('keeps the e-mail address only when the provider verified it and it is well-formed', () => {
    expect(profileFromClaims({ sub: '1', email: 'a@example.com', email_verified: true }).email).toBe('a@example.com');
    expect(profileFromClaims({ sub: '1', email: 'a@example.com', email_verified: 'true' }).email).toBe('a@example.com');
    expect(profileFromClaims({ sub: '1', email: 'a@example.com', email_verified: false }).email).toBeNull();
    expect(profileFromClaims({ sub: '1', email: 'a@example.com' }).email).toBeNull();
    expect(profileFromClaims({ sub: '1', email: 'not an address', email_verified: true }).email).toBeNull();
  });
});

describe('sealed sign-in state', () => {
  const key = randomBytes(32);
  it('opens only unchanged, under its key, before it expires', () => {
    const sealed = seal(key, { state: 's', nonce: 'n', verifier: 'v' }, 60_000, 1_000);
    expect(unseal(key, sealed, 2_000)).toEqual({ state: 's', nonce: 'n', verifier: 'v' });
    expect(sealed).not.toContain('verifier');
    expect(unseal(key, sealed, 61_001)).toBeNull();
    expect(unseal(randomBytes(32), sealed, 2_000)).toBeNull();
    const flipped = Buffer.from(sealed, 'base64url');
    flipped[flipped.length - 1]! ^= 1;
    expect(unseal(key, flipped.toString('base64url'), 2_000)).toBeNull();
    expect(unseal(key, 'garbage!', 2_000)).toBeNull();
    expect(unseal(key, '', 2_000)).toBeNull();
  });
});

describe('the callback URL in logs', () => {
  it('has its authorization code redacted', () => {
    expect(redactUrl('/api/v1/auth/oidc/callback?code=SplxlOBeZQQYbYS6WxSbIA&state=af0ifjsldkj&iss=x')).toBe(
      '/api/v1/auth/oidc/callback?code=[redacted]&state=af0ifjsldkj&iss=x',
    );
  });
});
