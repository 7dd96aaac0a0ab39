/**
 * `tcplab lab … --json` carries the sender's RFC 6675 series (pipe, SACKed and lost bytes, the
 * recovery point) next to cwnd and ssthresh, and the congestion events with their causes.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src-main/cli/main';

describe('tcplab lab --json: congestion series', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tcplab-ccjson-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('fast-recovery: pipe, sackedBytes, lostBytes and recoveryPoint for the SACK flow only', async () => {
    const json = join(dir, 'fr.json');
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    const code = await runCli(['lab', 'fast-recovery', '--json', json], { stdout, stderr, stdin: new PassThrough() });
    expect(code).toBe(0);
    const doc = JSON.parse(readFileSync(json, 'utf8')) as {
      results: Record<string, number>;
      series: Record<string, { t: number[]; v: (number | null)[]; unit: string }>;
      events: { layer: string; subject?: string; data: Record<string, unknown> }[];
    };
    const subjectOf = (port: number) => Object.keys(doc.series).find((k) => k.startsWith('cwnd ') && k.includes(`:${port}-`))!.slice(5);
    const sack = subjectOf(doc.results['sackPort']!);
    const plain = subjectOf(doc.results['newrenoPort']!);
    expect(doc.series[`pipe ${plain}`]).toBeUndefined();
    const pipe = doc.series[`pipe ${sack}`]!;
    expect(pipe.v.length).toBe(doc.series[`cwnd ${sack}`]!.v.length);
    expect(Math.max(...doc.series[`sackedBytes ${sack}`]!.v.map(Number))).toBeGreaterThan(0);
    expect(Math.max(...doc.series[`lostBytes ${sack}`]!.v.map(Number))).toBeGreaterThan(0);
    for (const subject of [sack, plain]) {
      const rp = doc.series[`recoveryPoint ${subject}`]!;
      expect(rp.unit).toBe('seq');
      const inRecovery = rp.v.filter((v) => v !== null);
      expect(inRecovery.length).toBeGreaterThan(0);
      expect(new Set(inRecovery).size).toBe(1); // one recovery, one recovery point
      expect(rp.v[0]).toBeNull();
    }
    // Every congestion event names its cause; recovery is entered and left once per flow.
    const cc = doc.events.filter((e) => e.layer === 'cc' && e.subject === sack);
    expect(cc.every((e) => typeof e.data['event'] === 'string')).toBe(true);
    const causes = new Set(cc.map((e) => e.data['event']));
    for (const c of ['init', 'send', 'ack', 'dup-ack', 'enter-recovery', 'exit-recovery']) expect(causes).toContain(c);
  });
});
