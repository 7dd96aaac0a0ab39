/**
 * Keeps docs/tcp.md's "RFC rules → code → tests" map true (issue #6: "docs/tcp.md maps each RFC
 * rule to its code and test"): every row names code and tests; every code file exists and defines
 * the named function, method, class or property; every test file exists and every quoted title is
 * the title of one of its tests or describes (not just any string in it).
 */
import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const doc = readFileSync(join(repo, 'docs/tcp.md'), 'utf8');

/** The section from its heading to the next level-2 heading. */
function section(text: string, heading: string): string {
  const start = text.indexOf(`\n## ${heading}\n`);
  if (start < 0) throw new Error(`no section "${heading}" in docs/tcp.md`);
  const next = text.indexOf('\n## ', start + 4);
  return text.slice(start, next < 0 ? undefined : next);
}

interface Row {
  line: number;
  text: string;
}

/** Body rows of every table in the section (header rows and separators left out). */
function tableRows(text: string): Row[] {
  const lines = text.split('\n');
  const rows: Row[] = [];
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    if (!l.startsWith('|') || /^\|[\s|:-]+\|$/.test(l)) continue;
    if (lines[i + 1] && /^\|[\s|:-]+\|$/.test(lines[i + 1]!)) continue; // a header row
    rows.push({ line: i, text: l });
  }
  return rows;
}

/** Cells of a row; `\|` inside a cell is not a separator. */
function cells(row: string): string[] {
  return row
    .slice(1, -1)
    .split(/(?<!\\)\|/)
    .map((c) => c.trim());
}

function codePath(file: string): string {
  return join(repo, 'src-main', file.includes('/') ? file : join('stack/tcp', file));
}

function testPath(file: string): string {
  return join(repo, 'tests', file.includes('/') ? file : join('tcp', file));
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Does the source define `name` (function, class, method, getter, property)? */
function defines(source: string, name: string): boolean {
  const n = escapeRe(name);
  return [
    new RegExp(`^\\s*(?:export\\s+)?(?:default\\s+)?(?:abstract\\s+)?class\\s+${n}\\b`, 'm'),
    new RegExp(`^\\s*(?:export\\s+)?(?:async\\s+)?function\\*?\\s+${n}\\s*[(<]`, 'm'),
    new RegExp(`^\\s*(?:(?:private|protected|public|static|readonly|async|get|set|override)\\s+)*${n}\\s*(?:[(<]|[:=]\\s*(?:async\\s*)?\\()`, 'm'),
  ].some((re) => re.test(source));
}

/** Titles of it/test/describe (and the suites' `title(why, '…')` helper) in a test file, raw. */
function titles(source: string): Set<string> {
  const out = new Set<string>();
  const lit = /'((?:[^'\\\n]|\\.)*)'|"((?:[^"\\\n]|\\.)*)"|`((?:[^`\\]|\\.)*)`/g;
  for (const m of source.matchAll(lit)) {
    const before = source.slice(Math.max(0, m.index - 80), m.index);
    if (!/(?:\b(?:it|test|describe)(?:\.\w+)*(?:\([^()]*\))?\(\s*|\btitle\(\s*\w+\s*,\s*|\)\(\s*)$/.test(before)) continue;
    const raw = m[1] ?? m[2] ?? m[3] ?? '';
    out.add(m[3] !== undefined ? raw : raw.replace(/\\(.)/g, '$1'));
  }
  return out;
}

const map = section(doc, 'RFC rules → code → tests');
const rows = tableRows(map);

describe('docs/tcp.md RFC map', () => {
  it('has the tables, with four cells per row', () => {
    expect(rows.length).toBeGreaterThan(80);
    for (const r of rows) expect(cells(r.text), r.text).toHaveLength(4);
  });

  it('every row names code and tests, and every code reference exists', () => {
    const problems: string[] = [];
    const sources = new Map<string, string>();
    for (const r of rows) {
      const [rfc, rule, code, test] = cells(r.text);
      if (!rfc || !rule) problems.push(`row without RFC or rule: ${r.text}`);
      const refs = [...code!.matchAll(/`([\w./-]+\.ts):([\w$]+)`/g)];
      if (refs.length === 0) problems.push(`no code reference: ${rule}`);
      if (!/`[\w./-]+\.test\.ts`/.test(test!)) problems.push(`no test reference: ${rule}`);
      for (const [, file, name] of refs) {
        const p = codePath(file!);
        if (!existsSync(p)) {
          problems.push(`${rule}: no file ${file}`);
          continue;
        }
        if (!sources.has(p)) sources.set(p, readFileSync(p, 'utf8'));
        if (!defines(sources.get(p)!, name!)) problems.push(`${rule}: ${file} does not define ${name}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('every quoted test title is a test or describe of the named file', () => {
    const problems: string[] = [];
    const known = new Map<string, Set<string>>();
    let count = 0;
    for (const r of rows) {
      const test = cells(r.text)[3]!;
      for (const m of test.matchAll(/`([\w./-]+\.test\.ts)`((?:\s*›\s*"[^"]*")+)/g)) {
        const p = testPath(m[1]!);
        if (!existsSync(p)) {
          problems.push(`no test file ${m[1]}`);
          continue;
        }
        if (!known.has(p)) known.set(p, titles(readFileSync(p, 'utf8')));
        for (const t of m[2]!.matchAll(/"([^"]*)"/g)) {
          count++;
          if (!known.get(p)!.has(t[1]!)) problems.push(`${m[1]}: no test or describe titled "${t[1]}"`);
        }
      }
    }
    expect(problems).toEqual([]);
    expect(count).toBeGreaterThan(150);
  });

  it('the checker itself rejects what does not exist', () => {
    const src = readFileSync(codePath('connection.ts'), 'utf8');
    expect(defines(src, 'processAck')).toBe(true);
    expect(defines(src, 'processAckk')).toBe(false);
    expect(defines(src, 'TcpConnection')).toBe(true);
    const t = titles(readFileSync(testPath('state-machine.test.ts'), 'utf8'));
    expect(t.has('ACK of FIN → FIN-WAIT-2')).toBe(true);
    expect(t.has('ACK of FIN → FIN-WAIT-3')).toBe(false);
    expect(t.has('@shared/wire/seq')).toBe(false); // an import string is no title
  });
});
