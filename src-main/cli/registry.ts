import type { CliCommand } from './command';
import { serveCommand } from './commands/serve';
import { labCommand } from './commands/lab';
import { decodeCommand } from './commands/decode';
import { analyzeCommand } from './commands/analyze';
import { conversationsCommand } from './commands/conversations';
import { stackCommand } from './commands/stack';
import { exportCommand } from './commands/export';

/**
 * Every `tcplab` subcommand, in the order `tcplab --help` lists them. Add a command by writing
 * `commands/<name>.ts` (exporting a `CliCommand`) and one import plus one entry here.
 */
export const commands: CliCommand[] = [decodeCommand, analyzeCommand, conversationsCommand, stackCommand, labCommand, exportCommand, serveCommand];
