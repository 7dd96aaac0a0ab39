import { describe, expect, it } from 'vitest';
import { ESLint } from 'eslint';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';

const repo = resolve(import.meta.dirname, '../..');

async function lintAs(path: string, code: string): Promise<string[]> {
  const eslint = new ESLint({ cwd: repo });
  const [result] = await eslint.lintText(code, { filePath: join(repo, path) });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'tcplab/layering').map((m) => m.message);
}

describe('the layering of DESIGN.md is enforced by lint', () => {
  it('rejects wire importing analysis (an upper layer)', async () => {
    const messages = await lintAs('src-shared/wire/__probe__.ts', "import { x } from '../analysis/flow';\nexport const y = x;\n");
    expect(messages).toHaveLength(1);
    expect(messages[0]).toContain('shared/wire may not import shared/analysis');
  });
  it('rejects Node modules in src-shared and in the renderer', async () => {
    const fixture = readFileSync(join(repo, 'tests/fixtures/layering/shared-imports-node.ts'), 'utf8');
    expect(await lintAs('src-shared/format/__probe__.ts', fixture)).toEqual([
      "shared/format must not import the Node module 'node:fs' (it stays free of Node so it can run anywhere)",
    ]);
    expect(await lintAs('src-renderer/__probe__.ts', fixture)).toHaveLength(1);
  });
  it('rejects electron outside src-main/electron, and link importing the stack', async () => {
    expect(await lintAs('src-main/stack/__probe__.ts', "import { app } from 'electron';\nexport const a = app;\n")).toHaveLength(1);
    expect(await lintAs('src-main/link/__probe__.ts', "import { Stack } from '../stack/stack';\nexport const s = Stack;\n")).toHaveLength(1);
  });
  it('accepts imports the table allows', async () => {
    expect(await lintAs('src-shared/analysis/__probe__.ts', "import { seq } from '@shared/wire/seq';\nexport const s = seq;\n")).toEqual([]);
    expect(await lintAs('src-main/cli/__probe__.ts', "import { createCore } from '../transport/core';\nexport const c = createCore;\n")).toEqual([]);
  });
});

describe('the typecheck of src-shared has no Node types', () => {
  it('fails on the fixture that imports node:fs', () => {
    const dir = mkdtempSync(join(repo, 'node_modules/.tmp-layering-'));
    try {
      const tsconfig = join(dir, 'tsconfig.json');
      writeFileSync(
        tsconfig,
        JSON.stringify({
          extends: join(repo, 'tsconfig.shared.json'),
          include: [join(repo, 'tests/fixtures/layering/shared-imports-node.ts')],
        }),
      );
      let output = '';
      let failed = false;
      try {
        execFileSync(join(repo, 'node_modules/.bin/tsc'), ['-p', tsconfig, '--noEmit'], { encoding: 'utf8' });
      } catch (err) {
        failed = true;
        output = String((err as { stdout?: string }).stdout);
      }
      expect(failed).toBe(true);
      expect(output).toMatch(/Cannot find module 'node:fs'|Cannot find name|TS2307/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
