/**
 * The shape of a `tcplab` subcommand. Each lives in `src-main/cli/commands/<name>.ts` and is listed
 * once in `src-main/cli/registry.ts`; parsing, `--help` and errors for unknown flags are shared.
 */
export type OptionType = 'boolean' | 'count' | 'string' | 'number' | 'list';

export interface OptionSpec {
  /** Long name without dashes, e.g. 'port'. Also the key in `ParsedArgs.options`. */
  name: string;
  /** One-letter short form without the dash, e.g. 'c' for `-c 5`. */
  short?: string;
  /** boolean: present or not; count: how many times (`-vvv` → 3); list: repeatable value. */
  type: OptionType;
  description: string;
  /** Placeholder shown in help, e.g. 'N' or 'FILE'. */
  valueName?: string;
  /** Short-only option (tcpdump style), not accepted as `--name`. */
  shortOnly?: boolean;
}

export interface ParsedArgs {
  options: Record<string, boolean | number | string | string[] | undefined>;
  positionals: string[];
}

export interface CliIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  stdin: NodeJS.ReadableStream;
}

export interface CliCommand {
  name: string;
  /** One line for the command overview. */
  summary: string;
  /** Usage line(s) after `tcplab`, e.g. 'decode FILE|- [flags]'. */
  usage: string;
  options: OptionSpec[];
  /** Smallest and largest number of positional arguments. */
  positionals?: { min: number; max: number; names: string };
  /** Extra help text (examples, notes). */
  details?: string;
  /** Returns the process exit code. Throw `CliUsageError` for bad arguments (exit 2). */
  run(args: ParsedArgs, io: CliIo): Promise<number>;
}

/** A wrong argument: printed as `tcplab <cmd>: <message>` with a hint, exit code 2. */
export class CliUsageError extends Error {
  override name = 'CliUsageError';
}
