import { AppError } from './errors.js';

export const nulError = (): AppError => new AppError('validation_failed', 'text must not contain NUL characters');

/** JSON.parse reviver: PostgreSQL text cannot hold U+0000, so input carrying it is refused. */
function rejectNul(_key: string, value: unknown): unknown {
  if (typeof value === 'string' && value.includes('\0')) throw nulError();
  return value;
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
