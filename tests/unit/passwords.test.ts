/** Password hashes: argon2id at OWASP's minimum profile in the server; any cost verifies. */
import { verify } from '@node-rs/argon2';
import { afterAll, describe, expect, it } from 'vitest';
import { hashPassword, PASSWORD_HASH_COST, setPasswordHashCostForTests } from '../../src/services/identity/passwords.js';
import { TEST_PASSWORD_HASH_COST } from '../setup.js';

describe('password hashes', () => {
  afterAll(() => setPasswordHashCostForTests(TEST_PASSWORD_HASH_COST));

  it('are argon2id with 19 MiB and 2 passes, as the server makes them', async () => {
    setPasswordHashCostForTests(PASSWORD_HASH_COST);
    const h = await hashPassword('correct horse 正确的马');
    expect(h).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(await verify(h, 'correct horse 正确的马')).toBe(true);
    expect(await verify(h, 'correct horse')).toBe(false);
  });

  it('name their own cost: a cheaper one (the tests\') verifies alike', async () => {
    setPasswordHashCostForTests(TEST_PASSWORD_HASH_COST);
    const h = await hashPassword('correct horse');
    expect(h).toMatch(/^\$argon2id\$v=19\$m=8,t=1,p=1\$/);
    expect(await verify(h, 'correct horse')).toBe(true);
    expect(await verify(h, 'wrong horse')).toBe(false);
  });
});
