/**
 * Capture-file readers: read-only throughput and peak memory of tcplab's pcap and pcapng
 * readers on synthetic ≥1M-frame captures, beside libpcap (tcpdump) and wiretap (tshark) in the
 * same run.
 *
 * Every measurement runs in its own child process so its peak RSS is its own. The same file
 * doubles as the child's entry point (`--capture-bench-child`), which keeps the benchmark to
 * one file; children run under tsx with tsconfig.node.json (for the `@shared` alias).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const CHILD_FLAG = '--capture-bench-child';
const thisFile = fileURLToPath(import.meta.url);
const repo = resolve(thisFile, '../..');
const FRAMES_LARGE = Number(process.env.TCPLAB_BENCH_CAPTURE_FRAMES ?? 1_000_000);
const FRAMES_SMALL = Math.round(FRAMES_LARGE / 4);
const REPEATS = 3;

interface ReadResult {
  frames: number;
  bytes: number;
  wallMs: number;
  cpuMs: number;
  maxRssMb: number;
}

// ----------------------------------------------------------------------------- child side

async function child(args: string[]): Promise<void> {
  const cap = await import('../src-main/capture/index');
  const [mode, a, b] = args;
  if (mode === 'gen') {
    const info = cap.cachedSyntheticCapture(a as 'pcap' | 'pcapng', Number(b));
    process.stdout.write(JSON.stringify(info));
    return;
  }
  if (mode === 'baseline') {
    process.stdout.write(JSON.stringify({ maxRssMb: process.resourceUsage().maxRSS / 1024 }));
    return;
  }
  // read sync|async FILE
  const file = b!;
  let frames = 0;
  let bytes = 0;
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  if (a === 'sync') {
    const r = cap.CaptureReader.open(file);
    for (let rec = r.next(); rec !== null; rec = r.next()) {
      frames++;
      bytes += rec.capturedLength;
    }
  } else {
    const r = await cap.AsyncCaptureReader.open(file);
    await r.forEach((rec) => {
      frames++;
      bytes += rec.capturedLength;
    });
  }
  const cpu = process.cpuUsage(c0);
  const result: ReadResult = {
    frames,
    bytes,
    wallMs: performance.now() - t0,
    cpuMs: (cpu.user + cpu.system) / 1000,
    maxRssMb: process.resourceUsage().maxRSS / 1024,
  };
  process.stdout.write(JSON.stringify(result));
}

// ----------------------------------------------------------------------------- parent side

function runChild<T>(args: string[]): T {
  const r = spawnSync(process.execPath, ['--import', 'tsx', thisFile, CHILD_FLAG, ...args], {
    cwd: repo,
    encoding: 'utf8',
    env: { ...process.env, TSX_TSCONFIG_PATH: join(repo, 'tsconfig.node.json') },
    maxBuffer: 1 << 20,
  });
  if (r.status !== 0) throw new Error(`bench child ${args.join(' ')} failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

/** Runs a reference tool under GNU time: wall and CPU seconds and peak RSS of the tool. */
function timeTool(argv: string[]): { wallMs: number; cpuMs: number; maxRssMb: number } {
  const dir = mkdtempSync(join(tmpdir(), 'tcplab-bench-'));
  try {
    const out = join(dir, 'time');
    const r = spawnSync('/usr/bin/time', ['-f', '%e %U %S %M', '-o', out, ...argv], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${argv.join(' ')} exited ${r.status}: ${r.stderr}`);
    const [e, u, s, m] = readFileSync(out, 'utf8').trim().split('\n').pop()!.split(' ').map(Number);
    return { wallMs: e! * 1000, cpuMs: (u! + s!) * 1000, maxRssMb: m! / 1024 };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function best<T extends { wallMs: number }>(runs: T[]): T {
  return runs.reduce((a, b) => (b.wallMs < a.wallMs ? b : a));
}

const fmt = (n: number, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });

export default async function bench(): Promise<{ title: string; command: string; columns: string[]; rows: (string | number)[][]; notes?: string[] }> {
  const rows: (string | number)[][] = [];
  const notes: string[] = [];
  const baseline = runChild<{ maxRssMb: number }>(['baseline']);
  for (const format of ['pcap', 'pcapng'] as const) {
    const large = runChild<{ path: string; frames: number; bytes: number }>(['gen', format, String(FRAMES_LARGE)]);
    const small = runChild<{ path: string; frames: number; bytes: number }>(['gen', format, String(FRAMES_SMALL)]);
    const mb = large.bytes / 1e6;
    const sync = best(Array.from({ length: REPEATS }, () => runChild<ReadResult>(['read', 'sync', large.path])));
    const asyncR = best(Array.from({ length: REPEATS }, () => runChild<ReadResult>(['read', 'async', large.path])));
    const syncSmall = best(Array.from({ length: REPEATS }, () => runChild<ReadResult>(['read', 'sync', small.path])));
    if (sync.frames !== large.frames || asyncR.frames !== large.frames) throw new Error(`${format}: read ${sync.frames}/${asyncR.frames} of ${large.frames} frames`);
    const row = (who: string, what: string, frames: number, sizeMb: number, r: { wallMs: number; cpuMs: number; maxRssMb: number }) => [
      `${format}`,
      who,
      what,
      fmt(frames),
      fmt(sizeMb),
      fmt(r.wallMs / 1000, 2),
      fmt(frames / (r.wallMs / 1000) / 1e6, 2),
      fmt(sizeMb / (r.wallMs / 1000)),
      fmt(frames / (r.cpuMs / 1000) / 1e6, 2),
      fmt(r.maxRssMb),
      fmt(r.wallMs / frames / (sync.wallMs / sync.frames), 1),
    ];
    rows.push(row('tcplab CaptureReader (sync)', 'read only', large.frames, mb, sync));
    rows.push(row('tcplab AsyncCaptureReader.forEach', 'read only', large.frames, mb, asyncR));
    rows.push(row('tcplab CaptureReader (sync), ¼ size', 'read only (memory check)', small.frames, small.bytes / 1e6, syncSmall));
    rows.push(row('tcpdump -r F -w /dev/null', 'libpcap read + pcap write, no printing', large.frames, mb, timeTool(['tcpdump', '-r', large.path, '-w', '/dev/null'])));
    rows.push(row('tcpdump -n -r F > /dev/null', 'libpcap read + dissect + print', large.frames, mb, timeTool(['tcpdump', '-n', '-r', large.path])));
    // tshark dissects every frame at a few 10k frames/s: it runs on the ¼-size file.
    rows.push(
      row('tshark -r F -T fields -e frame.number, ¼ size', 'wiretap read + full dissection', small.frames, small.bytes / 1e6, timeTool(['tshark', '-r', small.path, '-T', 'fields', '-e', 'frame.number'])),
    );
    notes.push(
      `${format}: peak RSS ${fmt(syncSmall.maxRssMb)} MB for ${fmt(small.bytes / 1e6)} MB vs ${fmt(sync.maxRssMb)} MB for ${fmt(mb)} MB (a Node child that only loads the module: ${fmt(baseline.maxRssMb)} MB).`,
    );
  }
  notes.unshift(
    `Synthetic Ethernet/IPv4 captures (src-main/capture/synthetic.ts: 45% 1514-byte TCP segments, 35% 66-byte ACKs, 10% short TCP, 10% UDP 60–512 bytes; ports without reassembling dissectors), cached in ${tmpdir()}; best of ${REPEATS} runs for tcplab, one run per reference tool.`,
    'M fr/s (CPU) divides by user+system CPU time, which is steadier than wall time on a shared machine. "× tcplab" is the row\'s wall time per frame over tcplab sync\'s (higher = tcplab faster); tshark ran on the ¼-size file.',
    'No reference tool has a read-only mode: `tcpdump -w /dev/null` is libpcap reading and re-writing every record (the closest to read-only; pcapng is converted by libpcap on the fly); `tcpdump -n -r` also dissects and prints; tshark reads through wiretap and dissects every frame. They bound the readers from above, they are not like-for-like.',
  );
  return {
    title: 'Capture-file readers (read-only throughput, peak memory)',
    command: 'npm run bench capture',
    columns: ['format', 'reader', 'what it does', 'frames', 'MB', 'wall s', 'M fr/s', 'MB/s', 'M fr/s (CPU)', 'peak RSS MB', '× tcplab'],
    rows,
    notes,
  };
}

if (process.argv.includes(CHILD_FLAG)) {
  await child(process.argv.slice(process.argv.indexOf(CHILD_FLAG) + 1));
}
