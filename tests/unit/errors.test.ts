import { describe, expect, it } from 'vitest';
import { toAppError } from '../../src/core/errors.js';

function withCode(code: string, message = 'boom'): Error {
  return Object.assign(new Error(message), { code });
}

describe('toAppError', () => {
  it.each(['ECONNREFUSED', 'ECONNRESET', 'CONNECT_TIMEOUT', 'CONNECTION_ENDED', '57P01', '57P03', '08006', '53300'])(
    'turns a database that cannot be reached (%s) into 503 unavailable with Retry-After',
    (code) => {
      const e = toAppError(withCode(code));
      expect(e.status).toBe(503);
      expect(e.code).toBe('unavailable');
      expect(e.headers).toEqual({ 'retry-after': '2' });
      // Nothing of the driver's message reaches the client.
      expect(e.message).not.toContain('boom');
    },
  );

  it('looks through causes (drizzle wraps driver errors)', () => {
    const wrapped = Object.assign(new Error('Failed query'), { cause: withCode('ECONNREFUSED') });
    expect(toAppError(wrapped).status).toBe(503);
  });

  it('keeps other failures as 500 internal, without their message', () => {
    for (const err of [new Error('secret detail'), withCode('23505', 'duplicate key'), withCode('42P01')]) {
      const e = toAppError(err);
      expect(e.status).toBe(500);
      expect(e.code).toBe('internal');
      expect(e.message).toBe('internal error');
    }
  });
});
