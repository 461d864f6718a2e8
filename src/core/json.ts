import { AppError } from './errors.js';

export const nulError = (): AppError => new AppError('validation_failed', 'text must not contain NUL characters');

/**
 * JSON.parse reviver: PostgreSQL text cannot hold U+0000, so input carrying it is refused; a lone
 * UTF-16 surrogate (JSON's "\ud800") becomes U+FFFD, which is what UTF-8 stores for it, so what
 * a client is answered is what was stored (and two such clientMsgIds are not one).
 */
function rejectNul(_key: string, value: unknown): unknown {
  if (typeof value !== 'string') return value;
  if (value.includes('\0')) throw nulError();
  return value.isWellFormed() ? value : value.toWellFormed();
}

/** Parses untrusted JSON (REST bodies, WebSocket frames): a syntax error or a NUL is a 400. */
export function parseUntrustedJson(text: string): unknown {
  try {
    return JSON.parse(text, rejectNul);
  } catch (err) {
    if (err instanceof AppError) throw err;
    throw new AppError('validation_failed', 'the body is not valid JSON');
  }
}
