import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { CliUsageError, type CliCommand } from '../command';
import { createCore } from '../../transport/core';
import { startBrowserShell, isLoopbackHost } from '../../transport/http-server';
import { findRendererDir } from '../../transport/renderer-dir';
import { labs } from '../../labs';

export const serveCommand: CliCommand = {
  name: 'serve',
  summary: 'Serve the UI to a browser on loopback, with the same backend as the desktop app',
  usage: 'serve [FILE | --lab NAME] [--port N] [--host 127.0.0.1] [--open]',
  positionals: { min: 0, max: 1, names: 'FILE' },
  options: [
    { name: 'port', type: 'number', valueName: 'N', description: 'TCP port on loopback (default: a free one)' },
    { name: 'host', type: 'string', valueName: 'ADDR', description: 'loopback address to bind (default 127.0.0.1)' },
    { name: 'open', type: 'boolean', description: 'open the URL in the default browser' },
    { name: 'lab', type: 'string', valueName: 'NAME', description: 'open with a lab run loaded (see tcplab lab --list)' },
  ],
  details: `The first line printed is the URL to open; it carries a random token for this run, and
the backend refuses any connection without it. With FILE (pcap or pcapng) the UI opens with it
loaded; with --lab NAME, with that lab's run; otherwise on the bundled demo capture.`,
  async run(args, io) {
    const host = (args.options.host as string | undefined) ?? '127.0.0.1';
    if (!isLoopbackHost(host)) throw new CliUsageError(`--host must be a loopback address (127.0.0.1, ::1, localhost), got '${host}'`);
    const port = (args.options.port as number | undefined) ?? 0;
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new CliUsageError(`--port must be 0–65535, got ${port}`);
    const file = args.positionals[0];
    if (file !== undefined && !existsSync(file)) throw new Error(`cannot open ${file}: no such file`);

    const lab = args.options.lab as string | undefined;
    if (lab !== undefined && file !== undefined) throw new CliUsageError('give either FILE or --lab NAME, not both');
    if (lab !== undefined && !labs.some((l) => l.name === lab)) {
      throw new CliUsageError(`no lab named '${lab}'; labs: ${labs.map((l) => l.name).join(', ')}`);
    }

    const rendererDir = findRendererDir();
    const core = createCore('browser');
    await core.openInitial(file !== undefined ? { kind: 'file', path: file } : lab !== undefined ? { kind: 'lab', name: lab } : { kind: 'demo' });
    const shell = await startBrowserShell({ host, port, rendererDir, core });
    io.stdout.write(`${shell.url}\n`);
    io.stdout.write(`tcplab serve: UI at the URL above (token required); Ctrl+C to stop\n`);
    if (args.options.open) {
      const opener = spawn('xdg-open', [shell.url], { stdio: 'ignore', detached: true });
      opener.on('error', () => io.stderr.write('tcplab serve: could not run xdg-open; open the URL by hand\n'));
      opener.unref();
    }
    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    await shell.close();
    await core.close();
    return 0;
  },
};
