/**
 * `tcplab decode` beside `tcpdump -n -r`, both printing a ≥1M-frame capture to /dev/null in the
 * same run: wall and CPU time, frames/s, peak RSS, and the ratios (tcpdump time / tcplab time, so
 * > 1 means tcplab is faster), by wall clock and by CPU time.
 *
 * The capture is the capture area's synthetic Ethernet/IPv4 traffic (TCP bulk data with
 * timestamps, pure ACKs, HTTP on port 80, UDP/DNS-sized datagrams), cached under os.tmpdir().
 * tcplab runs as the built CLI would: the decode command bundled by esbuild into one ES module
 * and run by plain `node` (no tsx in the measurement). Each run is its own process under GNU
 * time, so peak RSS is the tool's own; the best of REPEATS runs is reported for both tools.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const CHILD_FLAG = '--decode-bench-child';
const thisFile = fileURLToPath(import.meta.url);
const repo = resolve(thisFile, '../..');
const FRAMES = Number(process.env.TCPLAB_BENCH_DECODE_FRAMES ?? 1_000_000);
const REPEATS = Number(process.env.TCPLAB_BENCH_DECODE_REPEATS ?? 2);
const FLAG_SETS: string[][] = [[], ['-vv', '-e']];

interface Timed {
  wallMs: number;
  cpuMs: number;
  maxRssMb: number;
}

async function child(args: string[]): Promise<void> {
  if (args[0] === 'gen') {
    const cap = await import('../src-main/capture/index');
    process.stdout.write(JSON.stringify(cap.cachedSyntheticCapture('pcap', Number(args[1]))));
  }
}

/** Runs argv under GNU time with stdout to /dev/null. */
function timed(argv: string[], env: NodeJS.ProcessEnv = process.env): Timed {
  const dir = mkdtempSync(join(tmpdir(), 'tcplab-decode-bench-'));
  try {
    const out = join(dir, 'time');
    const r = spawnSync('/usr/bin/time', ['-f', '%e %U %S %M', '-o', out, ...argv], {
      stdio: ['ignore', 'ignore', 'pipe'],
      encoding: 'utf8',
      env,
    });
    if (r.status !== 0) throw new Error(`${argv.join(' ')} exited ${r.status}: ${r.stderr}`);
    const [e, u, s, m] = readFileSync(out, 'utf8').trim().split('\n').pop()!.split(' ').map(Number);
    return { wallMs: e! * 1000, cpuMs: (u! + s!) * 1000, maxRssMb: m! / 1024 };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The decode command as one ES module (what `npm run build` ships), built with esbuild. */
async function bundleDecode(dir: string): Promise<string[]> {
  const outfile = join(dir, 'tcplab-decode.mjs');
  try {
    const { build } = await import('esbuild');
    const contents = [
      "import { parseArgs } from './src-main/cli/args';",
      "import { decodeCommand } from './src-main/cli/commands/decode';",
      'const io = { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin };',
      'process.exitCode = await decodeCommand.run(parseArgs(process.argv.slice(2), decodeCommand.options), io);',
    ].join('\n');
    await build({
      stdin: { contents, resolveDir: repo, loader: 'ts', sourcefile: 'decode-entry.ts' },
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      outfile,
      tsconfig: join(repo, 'tsconfig.node.json'),
      logLevel: 'error',
    });
    return [process.execPath, outfile];
  } catch {
    // No esbuild: measure through tsx instead (slower start-up; noted in the table).
    return [process.execPath, '--import', 'tsx', join(repo, 'src-main/cli/main.ts'), 'decode'];
  }
}

export default async function decodeBench() {
  const gen = spawnSync(process.execPath, ['--import', 'tsx', thisFile, CHILD_FLAG, 'gen', String(FRAMES)], {
    cwd: repo,
    encoding: 'utf8',
    env: { ...process.env, TSX_TSCONFIG_PATH: join(repo, 'tsconfig.node.json') },
  });
  if (gen.status !== 0) throw new Error(`generating the capture failed: ${gen.stderr}`);
  const capture = JSON.parse(gen.stdout) as { path: string; frames: number; bytes: number };

  const dir = mkdtempSync(join(tmpdir(), 'tcplab-decode-bundle-'));
  try {
    const tcplab = await bundleDecode(dir);
    const viaTsx = tcplab.includes('tsx');
    const env = { ...process.env, TZ: 'UTC', TSX_TSCONFIG_PATH: join(repo, 'tsconfig.node.json') };
    const rows: (string | number)[][] = [];
    for (const flags of FLAG_SETS) {
      let ref: Timed | undefined;
      let ours: Timed | undefined;
      // Alternate the tools so both see the same machine load.
      for (let i = 0; i < REPEATS; i++) {
        const t = timed(['tcpdump', '-n', ...flags, '-r', capture.path], env);
        const o = timed([...tcplab, ...flags, capture.path], env);
        if (!ref || t.wallMs < ref.wallMs) ref = t;
        if (!ours || o.wallMs < ours.wallMs) ours = o;
      }
      const shown = flags.length ? ` ${flags.join(' ')}` : '';
      const fps = (t: Timed) => Math.round(capture.frames / (t.wallMs / 1000));
      rows.push([
        `tcpdump -n${shown} -r`,
        capture.frames,
        (ref!.wallMs / 1000).toFixed(2),
        (ref!.cpuMs / 1000).toFixed(2),
        fps(ref!),
        ref!.maxRssMb.toFixed(1),
        '1.00',
        '1.00',
      ]);
      rows.push([
        `tcplab decode${shown}`,
        capture.frames,
        (ours!.wallMs / 1000).toFixed(2),
        (ours!.cpuMs / 1000).toFixed(2),
        fps(ours!),
        ours!.maxRssMb.toFixed(1),
        (ref!.wallMs / ours!.wallMs).toFixed(2),
        (ref!.cpuMs / ours!.cpuMs).toFixed(2),
      ]);
    }
    return {
      title: 'Decode: tcplab decode vs tcpdump -n -r (printing to /dev/null)',
      command: 'npx tsx scripts/bench.ts decode',
      columns: ['tool', 'frames', 'wall s', 'CPU s', 'frames/s', 'peak RSS MB', 'speed vs tcpdump (wall)', 'speed vs tcpdump (CPU)'],
      rows,
      notes: [
        `Capture: ${capture.frames} synthetic Ethernet/IPv4 frames, ${(capture.bytes / 1e6).toFixed(0)} MB pcap (${capture.path}).`,
        `Best of ${REPEATS} runs per tool, alternating; each run a separate process under /usr/bin/time, stdout to /dev/null, TZ=UTC.`,
        viaTsx
          ? 'tcplab ran through tsx (esbuild not importable), which adds start-up time.'
          : 'tcplab ran as an esbuild bundle of the decode command under plain node (as built).',
        'speed > 1 means tcplab finished sooner (wall) or used less CPU time than tcpdump on the same file in the same run; on a busy machine the CPU column is the steadier one.',
        'With -vv most of the extra CPU is the TCP/UDP checksum over every full segment (tcpdump verifies them too), computed by @shared/wire/checksum.',
      ],
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv.includes(CHILD_FLAG)) {
  await child(process.argv.slice(process.argv.indexOf(CHILD_FLAG) + 1));
}
