/**
 * `npm run bench [AREA ...]`: runs bench/<area>.bench.ts (all, or those named), prints each table
 * and writes them to docs/benchmarks.md with the machine they ran on. Every table measures tcplab
 * beside its reference tool in the same run, so the ratios are fair on any machine.
 */
import { readdirSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { basename, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

export interface BenchTable {
  title: string;
  command: string;
  columns: string[];
  rows: (string | number)[][];
  notes?: string[];
}

const repo = resolve(import.meta.dirname, '..');
const benchDir = resolve(repo, 'bench');
const wanted = process.argv.slice(2);
const files = readdirSync(benchDir)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => wanted.length === 0 || wanted.includes(basename(f, '.bench.ts')))
  .sort();
if (files.length === 0) {
  console.error(`no benchmarks match ${wanted.join(', ')}; have: ${readdirSync(benchDir).join(', ')}`);
  process.exit(2);
}

function markdown(t: BenchTable): string {
  const lines = [`## ${t.title}`, '', `Command: \`${t.command}\``, '', `| ${t.columns.join(' | ')} |`, `|${t.columns.map(() => '---').join('|')}|`];
  for (const r of t.rows) lines.push(`| ${r.join(' | ')} |`);
  if (t.notes?.length) lines.push('', ...t.notes.map((n) => `- ${n}`));
  return lines.join('\n');
}

const sections = new Map<string, string>();
const docPath = resolve(repo, 'docs/benchmarks.md');
// Keep the sections of areas not run this time.
if (existsSync(docPath)) {
  const old = readFileSync(docPath, 'utf8');
  for (const m of old.matchAll(/<!-- bench:(\w[\w-]*) -->\n([\s\S]*?)<!-- \/bench:\1 -->/g)) sections.set(m[1]!, m[2]!);
}

let failed = false;
for (const f of files) {
  const area = basename(f, '.bench.ts');
  process.stdout.write(`\n# ${area}\n`);
  try {
    const mod = (await import(pathToFileURL(resolve(benchDir, f)).href)) as { default: () => Promise<BenchTable | BenchTable[]> };
    const result = await mod.default();
    const tables = Array.isArray(result) ? result : [result];
    const text = tables.map(markdown).join('\n\n');
    process.stdout.write(`${text}\n`);
    sections.set(area, `${text}\n\n_Measured ${new Date().toISOString().slice(0, 10)}._\n`);
  } catch (err) {
    failed = true;
    console.error(`bench ${area} failed: ${(err as Error).stack ?? err}`);
  }
}

const header = `# Benchmarks

Written by \`npm run bench\` (scripts/bench.ts); each table ran tcplab and its reference tool in the
same run on the same machine. Last machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB,
Node ${process.version}.
`;
const body = [...sections.entries()]
  .sort(([a], [b]) => a.localeCompare(b))
  .map(([area, text]) => `<!-- bench:${area} -->\n${text}<!-- /bench:${area} -->`)
  .join('\n\n');
writeFileSync(docPath, `${header}\n${body}\n`);
console.log(`\nwrote ${docPath}`);
process.exit(failed ? 1 : 0);
