/**
 * Runs before every test file (vitest.config.ts, setupFiles). Passwords are hashed at argon2's
 * least cost in the tests' own processes: the production cost (15 ms of CPU a hash) was a tenth
 * of the CPU of the files that register many accounts, and no test is about the cost but
 * tests/unit/passwords.test.ts, which sets the production one. Servers the tests spawn keep it.
 */
import { setPasswordHashCostForTests } from '../src/services/identity/passwords.js';

export const TEST_PASSWORD_HASH_COST = { memoryCost: 8, timeCost: 1 } as const;

setPasswordHashCostForTests(TEST_PASSWORD_HASH_COST);
