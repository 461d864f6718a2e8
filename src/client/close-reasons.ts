/** Why a realtime connection closed, in words an app can show (the close code and the server's reason). */

/** The server closed a connection that did not read what it was sent in time (CONTRACT.md: 4008). */
export const CLOSE_SLOW_CONSUMER = 4008;
/** The account already has the most sockets the server allows it (WS_CONNECTIONS_PER_USER). */
export const CLOSE_TOO_MANY_CONNECTIONS = 4429;

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
