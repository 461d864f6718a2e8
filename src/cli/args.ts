/** A small argument parser for the admin CLI: positionals, `--flag`, `--option value` / `--option=value`. */

/** Wrong use of the command line: exit code 2, with a pointer to `help`. */
export class UsageError extends Error {}

export interface ArgSpec {
  /** Names of the required positionals, in order. */
  positionals: readonly string[];
  /** Flags without a value. */
  flags?: readonly string[];
  /** Options taking a value. */
  options?: readonly string[];
}

export interface ParsedArgs {
  positionals: string[];
  flags: Set<string>;
  options: Map<string, string>;
}

/** Parses argv after the command name; throws UsageError on anything unknown or missing. */
export function parseArgs(command: string, argv: readonly string[], spec: ArgSpec): ParsedArgs {
  const out: ParsedArgs = { positionals: [], flags: new Set(), options: new Map() };
  let onlyPositionals = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (onlyPositionals || !arg.startsWith('--')) {
      out.positionals.push(arg);
      continue;
    }
    if (arg === '--') {
      onlyPositionals = true;
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq === -1 ? undefined : eq);
    if (spec.flags?.includes(name)) {
      if (eq !== -1) throw new UsageError(`${command}: --${name} takes no value`);
      out.flags.add(name);
    } else if (spec.options?.includes(name)) {
      const value = eq === -1 ? argv[++i] : arg.slice(eq + 1);
      if (value === undefined || (eq === -1 && value.startsWith('--'))) throw new UsageError(`${command}: --${name} needs a value`);
      out.options.set(name, value);
    } else {
      throw new UsageError(`${command}: unknown option ${arg.slice(0, eq === -1 ? undefined : eq)}`);
    }
  }
  if (out.positionals.length < spec.positionals.length) {
    throw new UsageError(`${command}: missing <${spec.positionals[out.positionals.length]}>`);
  }
  if (out.positionals.length > spec.positionals.length) {
    throw new UsageError(`${command}: unexpected argument "${out.positionals[spec.positionals.length]}"`);
  }
  return out;
}
