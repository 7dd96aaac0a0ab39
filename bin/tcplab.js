#!/usr/bin/env node
// The `tcplab` command: runs the bundled CLI (built by `npm run build` into out/main/cli.js).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const cli = fileURLToPath(new URL('../out/main/cli.js', import.meta.url));
if (!existsSync(cli)) {
  process.stderr.write('tcplab: not built yet; run `npm run build` in the tcplab folder first\n');
  process.exit(1);
}
const { runCli } = await import(cli);
process.exitCode = await runCli(process.argv.slice(2));
