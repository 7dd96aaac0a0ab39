import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src-main/cli/main';
import { missing, title } from '../support/requirements';
import { agreementTable, compareWithTshark, KEY_FIELDS, undocumented, type Agreement } from './support/agreement';

/**
 * tcplab's deterministic labs (its own stack on both ends of a virtual link), written as pcaps
 * with `tcplab lab NAME --pcap` and analysed by tcplab and by tshark.
 *
 * Not here: simultaneous-open and simultaneous-close, whose pcaps currently stamp the frames
 * after the first FIN with time 0 (1970) — a lab bug reported to the labs area; the flags agree
 * there, but times 54 years back exceed the nanosecond precision of tcplab's relative times.
 */
const LABS = ['handshake', 'fast-recovery', 'rto-backoff', 'zero-window', 'keepalive', 'half-close', 'linger-abort', 'closed-port'];
const why = missing('tshark');

describe.skipIf(why !== null)(title(why, 'tcplab lab captures against tshark'), () => {
  const dir = mkdtempSync(join(tmpdir(), 'tcplab-lab-analysis-'));
  const results = new Map<string, Agreement>();

  beforeAll(async () => {
    for (const lab of LABS) {
      const file = join(dir, `${lab}.pcap`);
      const sink = new PassThrough();
      sink.resume();
      const code = await runCli(['lab', lab, '-q', '--pcap', file], { stdout: sink, stderr: sink, stdin: new PassThrough() });
      if (code !== 0) throw new Error(`tcplab lab ${lab} exited ${code}`);
      results.set(lab, compareWithTshark(file));
    }
  }, 120_000);

  afterAll(() => {
    if (results.size > 0) console.log(`\ntcplab labs vs tshark:\n${agreementTable([...results.values()])}\n`);
    rmSync(dir, { recursive: true, force: true });
  });

  it.each(LABS)('%s: every compared field agrees, or the difference is documented', (lab) => {
    const a = results.get(lab)!;
    expect(a.frames).toBeGreaterThan(0);
    for (const f of KEY_FIELDS) {
      const [ok, n] = a.perField.get(f)!;
      expect(ok / n, `${lab} ${f}`).toBeGreaterThanOrEqual(0.99);
    }
    expect(undocumented(a).slice(0, 20)).toEqual([]);
  });

  it('the labs show the events they teach', () => {
    const occ = (lab: string, f: string) => results.get(lab)!.occurrences.get(f)!;
    expect(occ('fast-recovery', 'tcp.analysis.duplicate_ack')).toBeGreaterThan(0);
    expect(occ('fast-recovery', 'tcp.analysis.fast_retransmission')).toBeGreaterThan(0);
    expect(occ('zero-window', 'tcp.analysis.zero_window')).toBeGreaterThan(0);
    // tcplab's stack probes a zero window with one byte at SND.NXT, which tshark recognises.
    expect(occ('zero-window', 'tcp.analysis.zero_window_probe')).toBeGreaterThan(0);
    expect(occ('zero-window', 'tcp.analysis.zero_window_probe_ack')).toBeGreaterThan(0);
  });
});
