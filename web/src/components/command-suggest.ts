/** Slash commands in the composer: which command is being typed, which ones match, and the line to run. */
import type { CommandInfo } from '../../../src/client/index.js';

/** The command name being typed: the whole text is "/" and letters, the caret at its end. */
export function commandAt(value: string, caret: number): string | null {
  if (caret !== value.length) return null;
  const m = /^\/([a-z]{0,32})$/i.exec(value);
  return m ? m[1]!.toLowerCase() : null;
}

/** The commands starting with what was typed, in the server's order. */
export function matchCommands(commands: readonly CommandInfo[], typed: string): CommandInfo[] {
  return commands.filter((c) => c.name.startsWith(typed));
}

/** A line to run as a command: "/name rest" where name is one of `commands`; anything else is a message ("/usr/bin" included). */
export function commandLine(body: string, commands: readonly CommandInfo[]): { command: string; text: string } | null {
  const m = /^\/([a-z]+)(?:\s+([\s\S]*))?$/i.exec(body);
  if (!m) return null;
  const name = m[1]!.toLowerCase();
  return commands.some((c) => c.name === name) ? { command: name, text: (m[2] ?? '').trim() } : null;
}
