import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { labs, runLab, type LabRun } from '../../src-main/labs';
import { runCli } from '../../src-main/cli/main';

function digest(run: LabRun): string {
  const h = createHash('sha256');
  for (const f of run.frames) {
    h.update(`${f.t}|${f.host}|${f.dir}|`);
    h.update(f.data);
  }
  return h.digest('hex');
}

const runs = new Map<string, LabRun>();

describe.each(labs.map((l) => [l.name, l] as const))('lab %s', (name, lab) => {
  it('shows every expected event', async () => {
    const run = await runLab(lab);
    runs.set(name, run);
    const failed = run.checks.filter((c) => !c.ok).map((c) => `${c.id}: ${c.text.en} — ${c.detail}`);
    expect(failed).toEqual([]);
    expect(run.checks.length).toBe(lab.expectations.length);
    expect(run.checks.length).toBeGreaterThan(0);
    expect(run.frames.length).toBeGreaterThan(0);
  });

  it('is deterministic: same seed, same bytes', async () => {
    const first = runs.get(name) ?? (await runLab(lab));
    const again = await runLab(lab);
    expect(digest(again)).toBe(digest(first));
    expect(again.events.length).toBe(first.events.length);
  });

  it('has a title and a narrative in English and Simplified Chinese', () => {
    for (const lang of ['en', 'zh-CN'] as const) {
      expect(lab.title[lang].length).toBeGreaterThan(5);
      expect(lab.narrative[lang].length).toBeGreaterThan(40);
    }
    expect(/[\u4e00-\u9fff]/.test(lab.narrative['zh-CN'])).toBe(true);
  });
});

describe('tcplab lab (CLI)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tcplab-lab-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function cli(argv: string[]) {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let out = '';
    let err = '';
    stdout.on('data', (d) => (out += d));
    stderr.on('data', (d) => (err += d));
    const code = await runCli(argv, { stdout, stderr, stdin: new PassThrough() });
    return { code, out, err };
  }

  it('--list names every lab', async () => {
    const r = await cli(['lab', '--list']);
    expect(r.code).toBe(0);
    for (const l of labs) expect(r.out).toContain(l.name);
    expect(r.out.trim().split('\n')).toHaveLength(labs.length);
  });

  it('runs a lab and writes pcap and JSON', async () => {
    const pcap = join(dir, 'frag.pcap');
    const json = join(dir, 'frag.json');
    const r = await cli(['lab', 'ip-fragmentation', '--seed', '3', '--pcap', pcap, '--json', json, '--lang', 'zh-CN']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('预期事件');
    const bytes = readFileSync(pcap);
    expect(bytes.readUInt32LE(0)).toBe(0xa1b2c3d4);
    expect(bytes.readUInt32LE(20)).toBe(1); // LINKTYPE_ETHERNET
    const doc = JSON.parse(readFileSync(json, 'utf8'));
    expect(doc.lab).toBe('ip-fragmentation');
    expect(doc.params.seed).toBe(3);
    expect(doc.events.length).toBeGreaterThan(0);
    expect(doc.checks.every((c: { ok: boolean }) => c.ok)).toBe(true);
    expect(existsSync(`${json}.partial`)).toBe(false);
  });

  it('rejects bad arguments with exit 2', async () => {
    expect((await cli(['lab', 'no-such-lab'])).code).toBe(2);
    expect((await cli(['lab', 'ip-fragmentation', '--cc', 'bbr'])).err).toContain("unknown congestion control 'bbr'");
    expect((await cli(['lab', 'ip-fragmentation', '--isn', '1,2,3'])).code).toBe(2);
    expect((await cli(['lab', 'ip-fragmentation', '--loss', '1.5'])).code).toBe(2);
    expect((await cli(['lab'])).code).toBe(2);
  });
});
