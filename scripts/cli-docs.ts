/**
 * docs/cli.md is made from the commands' own help, so it cannot drift from the code:
 * `npx tsx scripts/cli-docs.ts` rewrites it, and tests/foundation/cli-docs.test.ts fails when it is stale.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { commands } from '../src-main/cli/registry';
import { formatCommandHelp, formatOverview } from '../src-main/cli/help';

export function cliDocs(): string {
  const parts = [
    '# The tcplab command line',
    '',
    'Generated from the commands\' own `--help` by `npx tsx scripts/cli-docs.ts`; a test keeps it current.',
    'Exit status: 0 success, 1 a runtime error (its message on stderr), 2 a usage error',
    '(unknown command or option, a missing or malformed argument).',
    '',
    '```text',
    formatOverview(commands).trimEnd(),
    '```',
  ];
  for (const c of commands) {
    parts.push('', `## tcplab ${c.name}`, '', '```text', formatCommandHelp(c).trimEnd(), '```');
  }
  return `${parts.join('\n')}\n`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const out = fileURLToPath(new URL('../docs/cli.md', import.meta.url));
  writeFileSync(out, cliDocs());
  console.log(`wrote ${out}`);
}
