/**
 * Passive TCP analysis: frames/s of `tcplab analyze` (read + decode + analyse + format the same
 * tshark fields) on a ≥1M-frame capture, beside `tshark -T fields` computing those fields in the
 * same run; and the memory one tracked conversation and one analysed segment cost.
 *
 * The tcplab side runs in a child process (tsx, tsconfig.node.json for the `@shared` alias) so
 * its peak RSS is its own; the file doubles as the child's entry point.
 */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const CHILD_FLAG = '--analysis-bench-child';
const thisFile = fileURLToPath(import.meta.url);
const repo = resolve(thisFile, '../..');
const FRAMES = Number(process.env.TCPLAB_BENCH_ANALYSIS_FRAMES ?? 1_000_000);
const CONVERSATIONS = 100_000;

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
  'tcp.analysis.zero_window',
  'tcp.analysis.out_of_order',
  'tcp.analysis.bytes_in_flight',
  'tcp.analysis.ack_rtt',
];

interface AnalyzeResult {
  frames: number;
  segments: number;
  wallMs: number;
  cpuMs: number;
  analyseMs: number;
  analyseCpuMs: number;
  maxRssMb: number;
  storeBytesPerSegment: number;
  storeCapacityMb: number;
  outputBytes: number;
}

// ----------------------------------------------------------------------------- child side

async function child(args: string[]): Promise<void> {
  const [mode, arg] = args;
  if (mode === 'gen') {
    const { cachedSyntheticCapture } = await import('../src-main/capture/synthetic');
    process.stdout.write(JSON.stringify(cachedSyntheticCapture('pcap', Number(arg))));
    return;
  }
  if (mode === 'analyze') {
    const { analyzeCaptureFile } = await import('../src-main/cli/commands/analysis-file');
    const { FIELDS: GETTERS } = await import('../src-shared/analysis/fields');
    const cpu = () => {
      const u = process.cpuUsage();
      return (u.user + u.system) / 1000;
    };
    const t0 = performance.now();
    const c0 = cpu();
    const { analyzer, frames } = analyzeCaptureFile(arg!);
    const t1 = performance.now();
    const c1 = cpu();
    // Format the same fields tshark prints, as `tcplab analyze -e ...` does (output discarded).
    const s = analyzer.store;
    const getters = FIELDS.map((f) => GETTERS[f]!.get);
    let bytes = 0;
    let buf = '';
    for (let i = 0; i < s.length; i++) {
      const conv = analyzer.conversations[s.stream[i]!]!;
      let line = '';
      for (let g = 0; g < getters.length; g++) line += (g ? '\t' : '') + getters[g]!(s, i, conv);
      buf += `${line}\n`;
      if (buf.length > 1 << 16) {
        bytes += buf.length;
        buf = '';
      }
    }
    bytes += buf.length;
    const t2 = performance.now();
    const out: AnalyzeResult = {
      frames,
      segments: s.length,
      wallMs: t2 - t0,
      cpuMs: cpu() - c0,
      analyseMs: t1 - t0,
      analyseCpuMs: c1 - c0,
      maxRssMb: process.resourceUsage().maxRSS / 1024,
      storeBytesPerSegment: s.bytesPerRow(),
      storeCapacityMb: s.byteSize() / 1e6,
      outputBytes: bytes,
    };
    process.stdout.write(JSON.stringify(out));
    return;
  }
  if (mode === 'conversations') {
    // Heap cost of one tracked conversation: N handshakes (SYN, SYN-ACK, ACK) on distinct ports.
    const v8 = await import('node:v8');
    const vm = await import('node:vm');
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    const { TcpAnalyzer } = await import('../src-shared/analysis/analyzer');
    const n = Number(arg);
    const mk = (frame: number, src: number, dst: number, sp: number, dp: number, flags: number, seq: number, ack: number) => ({
      frame, tsSec: 1_700_000_000, tsNsec: frame * 1000, fileOffset: -1, srcIp: src, dstIp: dst, srcPort: sp, dstPort: dp,
      seq, ack, flags, window: 1000, payloadLength: 0, ipEcn: 0, mss: flags & 2 ? 1460 : undefined,
      wscale: flags & 2 ? 7 : undefined, sackPermitted: (flags & 2) !== 0,
    });
    const an = new TcpAnalyzer({ initialRows: 3 * n });
    gc();
    const before = process.memoryUsage().heapUsed;
    const storeBefore = an.store.byteSize();
    const a = 0xc0000201;
    const b = 0xc0000202;
    for (let i = 0; i < n; i++) {
      const port = 1024 + (i % 60000);
      const server = 80 + Math.floor(i / 60000);
      an.push(mk(3 * i + 1, a, b, port, server, 0x02, 1000 + i, 0));
      an.push(mk(3 * i + 2, b, a, server, port, 0x12, 5000 + i, 1001 + i));
      an.push(mk(3 * i + 3, a, b, port, server, 0x10, 1001 + i, 5001 + i));
    }
    gc();
    const after = process.memoryUsage().heapUsed;
    const storeGrowth = an.store.byteSize() - storeBefore; // typed arrays live outside the JS heap
    process.stdout.write(
      JSON.stringify({ conversations: an.conversations.length, bytesPerConversation: (after - before) / n, storeGrowth }),
    );
    return;
  }
  throw new Error(`unknown child mode ${mode}`);
}

function runChild(args: string[]): string {
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--max-old-space-size=4096', thisFile, CHILD_FLAG, ...args], {
    cwd: repo,
    encoding: 'utf8',
    env: { ...process.env, TSX_TSCONFIG_PATH: resolve(repo, 'tsconfig.node.json') },
    maxBuffer: 1 << 26,
  });
  if (r.status !== 0) throw new Error(`analysis bench child ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

// ----------------------------------------------------------------------------- parent side

function tshark(file: string): { wallMs: number; cpuMs: number; maxRssMb: number; outputBytes: number } {
  const t0 = performance.now();
  const r = spawnSync(
    '/usr/bin/time',
    // Payload reassembly off: it does not change tcp.analysis.* and tcplab does none either
    // (with it on, tshark took 546 s for 100k frames of this capture).
    ['-f', '%U %S %M', 'tshark', '-n', '-r', file, '-o', 'tcp.desegment_tcp_streams:FALSE', '-Y', 'tcp', '-T', 'fields', ...FIELDS.flatMap((f) => ['-e', f])],
    { encoding: 'utf8', maxBuffer: 1 << 30 },
  );
  const wallMs = performance.now() - t0;
  if (r.status !== 0) throw new Error(`tshark failed: ${r.stderr}`);
  const m = /([\d.]+) ([\d.]+) (\d+)\s*$/.exec(r.stderr.trim());
  if (!m) throw new Error(`no /usr/bin/time figures in: ${r.stderr}`);
  return { wallMs, cpuMs: (Number(m[1]) + Number(m[2])) * 1000, maxRssMb: Number(m[3]) / 1024, outputBytes: r.stdout.length };
}

export default async function bench() {
  const info = JSON.parse(runChild(['gen', String(FRAMES)])) as { path: string; frames: number; bytes: number };
  const ours = JSON.parse(runChild(['analyze', info.path])) as AnalyzeResult;
  const theirs = tshark(info.path);
  const conv = JSON.parse(runChild(['conversations', String(CONVERSATIONS)])) as {
    conversations: number;
    bytesPerConversation: number;
    storeGrowth: number;
  };
  const fps = (ms: number) => Math.round(info.frames / (ms / 1000));
  const sec = (ms: number) => (ms / 1000).toFixed(1);
  return {
    title: 'TCP analysis (tcp.analysis.* fields) on a synthetic capture',
    command: `tcplab analyze F -e ${FIELDS.join(' -e ')}  vs  tshark -n -r F -o tcp.desegment_tcp_streams:FALSE -Y tcp -T fields -e … (same fields)`,
    columns: ['tool', 'frames', 'wall s', 'CPU s', 'frames per CPU-second', 'peak RSS MB', 'speed vs tshark (CPU)'],
    rows: [
      ['tshark 4.0 -T fields', info.frames, sec(theirs.wallMs), sec(theirs.cpuMs), fps(theirs.cpuMs), theirs.maxRssMb.toFixed(0), '1.0×'],
      [
        'tcplab analyze (read+decode+analyse+format)',
        info.frames,
        sec(ours.wallMs),
        sec(ours.cpuMs),
        fps(ours.cpuMs),
        ours.maxRssMb.toFixed(0),
        `${(theirs.cpuMs / ours.cpuMs).toFixed(1)}×`,
      ],
      [
        'tcplab analysis only (read+decode+analyse)',
        info.frames,
        sec(ours.analyseMs),
        sec(ours.analyseCpuMs),
        fps(ours.analyseCpuMs),
        '',
        `${(theirs.cpuMs / ours.analyseCpuMs).toFixed(1)}×`,
      ],
    ],
    notes: [
      `capture: ${info.frames.toLocaleString('en')} frames, ${(info.bytes / 1e6).toFixed(0)} MB (src-main/capture/synthetic.ts, seed 1, 8 TCP flows + UDP); ${ours.segments.toLocaleString('en')} TCP segments analysed`,
      `memory per tracked conversation (JS heap, both directions' state, state tracker, row list): ${conv.bytesPerConversation.toFixed(0)} bytes, measured over ${conv.conversations.toLocaleString('en')} handshakes`,
      `memory per analysed segment (columnar typed arrays): ${ours.storeBytesPerSegment} bytes; the store held ${ours.storeCapacityMb.toFixed(0)} MB (capacity estimated from the file size)`,
      `tshark output ${(theirs.outputBytes / 1e6).toFixed(1)} MB, tcplab formatted ${(ours.outputBytes / 1e6).toFixed(1)} MB of the same TSV`,
      'speed is compared in CPU time (user + system) because the machine is shared; wall times are shown as measured',
    ],
  };
}

if (process.argv.includes(CHILD_FLAG)) {
  await child(process.argv.slice(process.argv.indexOf(CHILD_FLAG) + 1));
}
