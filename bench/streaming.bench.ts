/**
 * Issue 9 §5: frames from a source to the renderer through the session worker and the WebSocket
 * transport, with drops counted, while the main thread's event-loop lag is sampled. The source is
 * a 1M-frame capture replayed as fast as the worker can read, decode and summarise it; the
 * reference row is the capture reader alone on the same file.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync, readdirSync, readFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { cachedSyntheticCapture } from '../src-main/capture/synthetic';
import { CaptureReader } from '../src-main/capture';
import { createCore } from '../src-main/transport/core';
import { startBrowserShell } from '../src-main/transport/http-server';
import type { BenchTable } from '../scripts/bench';

const FRAMES = Number(process.env.TCPLAB_BENCH_STREAM_FRAMES ?? 1_000_000);

/**
 * CPU seconds of each thread of this process (Linux /proc, 100 Hz ticks). The machine is shared,
 * so wall-clock rates are noisy; CPU time per thread says where the work goes whatever the load.
 */
function threadCpuSeconds(): Map<string, number> {
  const out = new Map<string, number>();
  try {
    for (const tid of readdirSync('/proc/self/task')) {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(tid, (Number(fields[11]) + Number(fields[12])) / 100); // utime + stime
    }
  } catch {
    // Not Linux: the CPU columns stay empty.
  }
  return out;
}

export default async function streamingBench(): Promise<BenchTable> {
  const capture = cachedSyntheticCapture('pcap', FRAMES);

  // Reference: the reader alone.
  const t0 = performance.now();
  const reader = CaptureReader.open(capture.path);
  let n = 0;
  for (let r = reader.next(); r !== null; r = reader.next()) n++;
  reader.close();
  const readerSeconds = (performance.now() - t0) / 1000;

  const rendererDir = mkdtempSync(join(tmpdir(), 'tcplab-bench-renderer-'));
  writeFileSync(join(rendererDir, 'index.html'), '<!doctype html>');
  const core = createCore('browser');
  const shell = await startBrowserShell({ host: '127.0.0.1', port: 0, rendererDir, core });
  const lag = monitorEventLoopDelay({ resolution: 5 });
  try {
    // The client connects first, then the session opens, so every frame must travel live.
    const client = spawn(process.execPath, ['--import', 'tsx', resolve(import.meta.dirname, 'support/ws-count-client.ts'), shell.url, '1'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    // Open the session only once the client's subscription exists (it prints `ready`), so every
    // frame must travel live; a fixed pause was too short for the client's start under load.
    const ready = new Promise<void>((resolve, reject) => {
      client.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.startsWith('ready\n')) resolve();
      });
      client.on('exit', (code) => reject(new Error(`the benchmark client exited (${code}) before it was ready`)));
    });
    await ready;
    out = out.slice('ready\n'.length);
    lag.enable();
    const cpuBefore = process.cpuUsage();
    const threadsBefore = threadCpuSeconds();
    const started = performance.now();
    const openedAtEpochMs = Date.now();
    await core.openInitial({ kind: 'file', path: capture.path });
    await new Promise<void>((r) => client.on('exit', () => r()));
    const seconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    const threadDeltas = [...threadCpuSeconds()].map(([tid, s]) => ({ tid, s: s - (threadsBefore.get(tid) ?? 0) }));
    lag.disable();
    const mainTid = String(process.pid);
    const mainCpu = threadDeltas.find((t) => t.tid === mainTid)?.s ?? NaN;
    // The busiest other thread is the session worker (it reads, decodes, summarises and encodes).
    const workerCpu = Math.max(...threadDeltas.filter((t) => t.tid !== mainTid).map((t) => t.s));
    const serverCpu = (cpu.user + cpu.system) / 1e6;
    const result = JSON.parse(out.trim()) as {
      frames: number;
      dropped: number;
      batches: number;
      maxBatch: number;
      total: number;
      firstFrameEpochMs: number;
      firstNo: number;
      cpuSeconds: number;
    };
    const rate = result.frames / seconds;
    const p99 = lag.percentile(99) / 1e6;
    const max = lag.max / 1e6;
    return {
      title: 'Streaming: capture → session worker → WebSocket → client',
      command: `npm run bench streaming  (${FRAMES.toLocaleString('en')} frames, synthetic pcap)`,
      columns: [
        'path',
        'frames',
        'seconds',
        'frames/s',
        'dropped (counted)',
        'main-thread lag p99 / max (ms)',
        'CPU µs/frame: worker · main · client',
        'ratio to reader',
      ],
      rows: [
        ['pcap reader alone (reference)', n, readerSeconds.toFixed(2), Math.round(n / readerSeconds).toLocaleString('en'), '—', '—', '—', '1.00'],
        [
          'end to end (read, decode, summarise in the worker; relay; decode in the client)',
          result.frames,
          seconds.toFixed(2),
          Math.round(rate).toLocaleString('en'),
          result.dropped,
          `${p99.toFixed(1)} / ${max.toFixed(1)}`,
          [workerCpu, mainCpu, result.cpuSeconds].map((c) => ((c * 1e6) / result.frames).toFixed(1)).join(' · '),
          (rate / (n / readerSeconds)).toFixed(3),
        ],
      ],
      notes: [
        result.total === FRAMES && result.frames + result.dropped === result.total && result.firstNo === 1
          ? `Every frame is accounted for: received ${result.frames} + dropped ${result.dropped} = ${result.total} of ${FRAMES} (session frame count).`
          : `NOT every frame arrived: received ${result.frames} (from frame ${result.firstNo}) + dropped ${result.dropped} of ${FRAMES} (the session reported ${result.total === -1 ? 'no end' : result.total}).`,
        `${result.batches} batches, largest ${result.maxBatch} frames; first frame at the client ${result.firstFrameEpochMs - openedAtEpochMs} ms after the session was asked to open.`,
        'The client runs in its own process, so the lag figures are the server main thread alone.',
        `The session worker's CPU time alone would allow ${Math.round(result.frames / workerCpu).toLocaleString('en')} frames/s; the whole server's (all threads) on one core ${Math.round(result.frames / serverCpu).toLocaleString('en')} frames/s.`,
        `CPU time (the machine is shared, so it says more than the wall clock): server ${serverCpu.toFixed(2)} s (session worker thread ${workerCpu.toFixed(2)} s, main thread ${mainCpu.toFixed(2)} s, other threads — V8's garbage-collector helpers, file reads — ${(serverCpu - workerCpu - mainCpu).toFixed(2)} s), client ${result.cpuSeconds.toFixed(2)} s; load average at the end ${loadavg().map((l) => l.toFixed(1)).join(' ')} on ${cpus().length} cores.`,
      ],
    };
  } finally {
    lag.disable();
    await shell.close();
    await core.close();
    rmSync(rendererDir, { recursive: true, force: true });
  }
}
