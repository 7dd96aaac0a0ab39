import { CliUsageError, type CliCommand, type CliIo } from './command';
import { parseArgs } from './args';
import { commands } from './registry';
import { formatCommandHelp, formatOverview } from './help';
import { version } from '../version';

/**
 * `tcplab [--version] [--help] <command> [args]`. Returns the exit code: 0 success, 1 runtime
 * error, 2 usage error (unknown command or flag, missing or malformed argument).
 */
export async function runCli(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
    const topic = first === 'help' ? rest[0] : undefined;
    const cmd = topic ? commands.find((c) => c.name === topic) : undefined;
    if (topic && !cmd) return usageError(io, undefined, `unknown command '${topic}'`);
    io.stdout.write(cmd ? formatCommandHelp(cmd) : formatOverview(commands));
    return first === undefined ? 2 : 0;
  }
  if (first === '--version' || first === '-V') {
    io.stdout.write(`tcplab ${version}\n`);
    return 0;
  }
  if (first.startsWith('-')) return usageError(io, undefined, `unknown option ${first}`);
  const command = commands.find((c) => c.name === first);
  if (!command) {
    const near = commands.filter((c) => c.name.startsWith(first.slice(0, 2))).map((c) => c.name);
    return usageError(io, undefined, `unknown command '${first}'${near.length ? ` (did you mean ${near.join(' or ')}?)` : ''}`);
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout.write(formatCommandHelp(command));
    return 0;
  }
  try {
    const args = parseArgs(rest, command.options);
    const pos = command.positionals ?? { min: 0, max: 0, names: '' };
    if (args.positionals.length < pos.min) throw new CliUsageError(`missing ${pos.names}`);
    if (args.positionals.length > pos.max) {
      throw new CliUsageError(`unexpected argument '${args.positionals[pos.max]}'`);
    }
    return await command.run(args, io);
  } catch (err) {
    if (err instanceof CliUsageError) return usageError(io, command, err.message);
    io.stderr.write(`tcplab ${command.name}: ${(err as Error).message}\n`);
    return 1;
  }
}

function usageError(io: CliIo, command: CliCommand | undefined, message: string): number {
  const prefix = command ? `tcplab ${command.name}` : 'tcplab';
  io.stderr.write(`${prefix}: ${message}\nRun '${prefix} --help' for usage.\n`);
  return 2;
}

function processIo(): CliIo {
  return { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin };
}

// Run directly in development: `npx tsx src-main/cli/main.ts <command> ...`.
if (process.argv[1] && import.meta.url === (await import('node:url')).pathToFileURL(process.argv[1]).href) {
  process.exitCode = await runCli(process.argv.slice(2));
}
