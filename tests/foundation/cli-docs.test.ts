import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { cliDocs } from '../../scripts/cli-docs';

describe('docs/cli.md', () => {
  it('matches the commands’ own help (run `npx tsx scripts/cli-docs.ts` after changing a command)', () => {
    const onDisk = readFileSync(new URL('../../docs/cli.md', import.meta.url), 'utf8');
    expect(onDisk).toBe(cliDocs());
  });
});
