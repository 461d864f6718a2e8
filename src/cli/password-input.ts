/**
 * Where the admin CLI takes a password from: the PARLEY_PASSWORD environment variable, one line
 * of stdin when it is not a terminal, or a prompt without echo (typed twice) when it is.
 */
import { randomBytes } from 'node:crypto';
import { StringDecoder } from 'node:string_decoder';

/** The contract's password rule, as registration applies it (in characters, not bytes). */
export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 256;
/** A piped line longer than this is not a password: stop reading there. */
const MAX_LINE_BYTES = 4096;

export interface PasswordStdin extends NodeJS.ReadableStream {
  isTTY?: boolean;
  setRawMode?(raw: boolean): unknown;
}

export interface PasswordIo {
  stdin: PasswordStdin;
  /** Prompts go here (stdout stays clean for output a script may read). */
  stderr: { write(text: string): unknown };
  env: Readonly<Record<string, string | undefined>>;
}

/** A password that is refused; the message says why. */
export class PasswordError extends Error {}

/** A random password of 24 URL-safe characters (144 bits). */
export function generatePassword(): string {
  return randomBytes(18).toString('base64url');
}

/** Throws PasswordError unless the password has 8-256 characters. */
export function checkPassword(password: string): void {
  const length = [...password].length;
  if (length === 0) {
    throw new PasswordError('no password given: set PARLEY_PASSWORD, pipe it on stdin, or use --generate');
  }
  if (length < PASSWORD_MIN || length > PASSWORD_MAX) {
    throw new PasswordError(`the password must have ${PASSWORD_MIN}-${PASSWORD_MAX} characters (it has ${length})`);
  }
}

/** Reads a password from the first source available, and checks it. */
export async function readPassword(io: PasswordIo, prompt = 'Password: '): Promise<string> {
  let password: string;
  const fromEnv = io.env.PARLEY_PASSWORD;
  if (fromEnv !== undefined && fromEnv !== '') password = fromEnv;
  else if (io.stdin.isTTY !== true || !io.stdin.setRawMode) password = await readLine(io.stdin);
  else {
    password = await promptHidden(io, prompt);
    checkPassword(password);
    if ((await promptHidden(io, 'Repeat it: ')) !== password) throw new PasswordError('the two passwords do not match');
  }
  checkPassword(password);
  return password;
}

/** The first line of a stream (without its line ending); '' when the stream is empty. */
async function readLine(stream: NodeJS.ReadableStream): Promise<string> {
  const decoder = new StringDecoder('utf8');
  let text = '';
  let bytes = 0;
  for await (const chunk of stream) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    bytes += buf.length;
    text += decoder.write(buf);
    if (text.includes('\n') || bytes > MAX_LINE_BYTES) break;
  }
  text += decoder.end();
  return text.split('\n')[0]!.replace(/\r$/, '');
}

/** Reads a line from a terminal in raw mode, echoing nothing. Ctrl-C cancels. */
function promptHidden(io: PasswordIo, prompt: string): Promise<string> {
  const stdin = io.stdin;
  io.stderr.write(prompt);
  return new Promise((resolve, reject) => {
    const decoder = new StringDecoder('utf8');
    let typed = '';
    const finish = (err: Error | null): void => {
      stdin.removeListener('data', onData);
      stdin.setRawMode!(false);
      stdin.pause();
      io.stderr.write('\n');
      if (err) reject(err);
      else resolve(typed);
    };
    const onData = (chunk: Buffer | string): void => {
      const chars = [...(typeof chunk === 'string' ? chunk : decoder.write(chunk))];
      for (const [i, ch] of chars.entries()) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') {
          // What came after the line (typed ahead, or a paste of two) is for the next prompt.
          const rest = chars.slice(ch === '\r' && chars[i + 1] === '\n' ? i + 2 : i + 1).join('');
          finish(null);
          if (rest) stdin.unshift(Buffer.from(rest, 'utf8'));
          return;
        }
        if (ch === '\u0003') return finish(new PasswordError('cancelled'));
        if (ch === '\u007f' || ch === '\b') typed = [...typed].slice(0, -1).join('');
        else typed += ch;
      }
    };
    stdin.setRawMode!(true);
    stdin.on('data', onData);
    stdin.resume();
  });
}
