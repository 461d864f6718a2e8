/** Why a realtime connection closed, in words an app can show (the close code and the server's reason). */
import { CLOSE_SLOW_CONSUMER, CLOSE_TOO_MANY_CONNECTIONS } from '../protocol/close-codes.js';

export { CLOSE_SLOW_CONSUMER, CLOSE_TOO_MANY_CONNECTIONS };

const MESSAGES: Readonly<Record<number, string>> = {
  1001: 'The server is restarting.',
  1006: 'The connection dropped.',
  1009: 'A message was too large for the server.',
  1011: 'The server hit an error.',
  1012: 'The server restarted.',
  1013: 'The server is busy.',
  4000: 'The connection went silent.',
  [CLOSE_SLOW_CONSUMER]: 'This device did not keep up with the server (a slow or stalled connection).',
  [CLOSE_TOO_MANY_CONNECTIONS]: 'This account has too many Parley tabs or devices connected; close one.',
};

/**
 * One sentence for a close: the server's own explanation when it sent one (an error frame before
 * the close), else what the code means, else the reason the close frame carried.
 */
export function describeClose(code: number, reason: string, serverMessage: string | null = null): string {
  if (serverMessage) return serverMessage;
  const known = MESSAGES[code];
  if (known) return known;
  return reason ? `The connection closed (${code}: ${reason}).` : `The connection closed (${code}).`;
}
