import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src-main/cli/main';
import { writePcapFile } from '../../src-main/capture/writer';
import { LINKTYPE_RAW } from '../../src-main/capture/types';
import { missing, title } from '../support/requirements';
import { bulk, Trace } from './support/craft';

const M = 1448;
const dir = mkdtempSync(join(tmpdir(), 'tcplab-analyze-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => (out += d.toString()));
  stderr.on('data', (d: Buffer) => (err += d.toString()));
  const code = await runCli(argv, { stdout, stderr, stdin: new PassThrough() });
  return { code, out, err };
}

/** Two conversations: a lossy transfer, then a refused connection. */
function capture(): string {
  const t = new Trace().handshake().add(...bulk(10, 5));
  t.add(
    { t: 10.3, from: 'b', flags: 'A', seq: 1, ack: 1 + M, win: 500 },
    { t: 10.31, from: 'b', flags: 'A', seq: 1, ack: 1 + M, win: 500, sack: [[1 + 2 * M, 1 + 3 * M]] },
    { t: 10.32, from: 'b', flags: 'A', seq: 1, ack: 1 + M, win: 500, sack: [[1 + 2 * M, 1 + 4 * M]] },
    { t: 10.4, from: 'a', flags: 'A', seq: 1 + M, ack: 1, len: M, win: 502 },
    { t: 10.5, from: 'b', flags: 'A', seq: 1, ack: 1 + 5 * M, win: 500 },
  );
  const refused = new Trace({ ip: '192.0.2.1', port: 40001, isn: 7 }, { ip: '192.0.2.2', port: 81, isn: 0 }, 1_700_000_000);
  refused.add({ t: 20, from: 'a', flags: 'S', seq: 0, win: 64240 }, { t: 20.1, from: 'b', flags: 'RA', seq: 0, ack: 1, win: 0 });
  const records = [...t.records(), ...refused.records()];
  const file = join(dir, 'two.pcap');
  writePcapFile(file, records, { linkType: LINKTYPE_RAW, resolution: 'ns' });
  return file;
}

const file = capture();
const FIELDS = [
  'frame.number',
  'tcp.stream',
  'tcp.seq',
  'tcp.ack',
  'tcp.len',
  'tcp.window_size',
  'tcp.analysis.retransmission',
  'tcp.analysis.fast_retransmission',
  'tcp.analysis.duplicate_ack',
  'tcp.analysis.duplicate_ack_num',
  'tcp.analysis.bytes_in_flight',
  'tcp.analysis.ack_rtt',
  'tcp.analysis.acks_frame',
];

describe('tcplab analyze', () => {
  it('prints tshark-named fields as TSV, with a header on request', async () => {
    const r = await run('analyze', file, '--header', ...FIELDS.flatMap((f) => ['-e', f]));
    expect(r.code).toBe(0);
    const lines = r.out.trimEnd().split('\n');
    expect(lines[0]).toBe(FIELDS.join('\t'));
    expect(lines).toHaveLength(1 + 15);
    expect(lines[15]!.split('\t')[0]).toBe('15');
    // Frame 12: the fast retransmission after two duplicate ACKs (frames 10 and 11).
    expect(lines[11]!.split('\t')).toEqual(['11', '0', '1', '1449', '0', String(500 << 7), '', '', '1,1', '2', '', '', '']);
    expect(lines[12]!.split('\t')).toEqual(['12', '0', '1449', '1', '1448', String(502 << 7), '1', '1', '', '', '2896', '', '']);
  });

  it('filters one stream and prints JSON objects without the empty fields', async () => {
    const r = await run('analyze', file, '--stream', '1', '--format', 'json', '-e', 'frame.number', '-e', 'tcplab.state.a', '-e', 'tcp.analysis.flags');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toEqual([
      { 'frame.number': '14', 'tcplab.state.a': 'SYN-SENT' },
      { 'frame.number': '15', 'tcplab.state.a': 'CLOSED' },
    ]);
  });

  it('rejects unknown fields (exit 2) and reports unreadable files (exit 1)', async () => {
    const bad = await run('analyze', file, '-e', 'tcp.nonsense');
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/unknown field 'tcp.nonsense'/);
    const gone = await run('analyze', join(dir, 'missing.pcap'));
    expect(gone.code).toBe(1);
    expect(gone.err).toMatch(/missing\.pcap.*ENOENT/);
    const noStream = await run('analyze', file, '--stream', '9');
    expect(noStream.code).toBe(1);
    expect(noStream.err).toMatch(/no tcp.stream 9 .*2 conversations/);
  });

  it('lists its fields with their meaning', async () => {
    const r = await run('analyze', '--list-fields');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^tcp\.analysis\.bytes_in_flight\s+Wireshark’s bytes in flight/m);
    expect(r.out).toMatch(/^tcplab\.analysis\.sack_bytes_in_flight\s+/m);
  });
});

describe('tcplab conversations', () => {
  it('prints one TSV line per conversation with options, counts, states and a diagnosis', async () => {
    const r = await run('conversations', file);
    expect(r.code).toBe(0);
    const [head, ...rows] = r.out.trimEnd().split('\n');
    const cols = head!.split('\t');
    const row = (i: number) => Object.fromEntries(rows[i]!.split('\t').map((v, k) => [cols[k], v]));
    expect(rows).toHaveLength(2);
    expect(row(0)).toMatchObject({ a: '192.0.2.1:40000', b: '192.0.2.2:80', mss_a: '1460', ws_a: '7', sack: '1', retrans_a: '1', fast_retrans_a: '1' });
    expect(row(0).diagnosis).toContain('congestion-limited');
    // No WS option in the SYN: tshark's rule sets both directions to "no scaling" (-2).
    expect(row(1)).toMatchObject({ 'tcp.stream': '1', state_a: 'CLOSED', diagnosis: 'no-data', ws_a: '-2', ws_b: '-2' });
  });

  it('prints the full summaries as JSON', async () => {
    const r = await run('conversations', file, '--format', 'json');
    const s = JSON.parse(r.out) as { stream: number; statesInferred: boolean; diagnosis: { reason: string }[] }[];
    expect(s.map((c) => c.stream)).toEqual([0, 1]);
    expect(s[0]!.statesInferred).toBe(true);
    expect(s[0]!.diagnosis[0]!.reason).toMatch(/retransmitted/);
  });
});

const why = missing('tshark');
describe.skipIf(why !== null)(title(why, 'tcplab analyze output diffs clean against tshark -T fields'), () => {
  it('gives the same lines as tshark for the same -e fields', async () => {
    const ours = await run('analyze', file, ...FIELDS.flatMap((f) => ['-e', f]));
    const theirs = execFileSync('tshark', ['-n', '-r', file, '-Y', 'tcp', '-T', 'fields', ...FIELDS.flatMap((f) => ['-e', f])], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    expect(ours.out).toBe(theirs);
  });
});
