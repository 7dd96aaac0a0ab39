/**
 * Ladder diagram: a 100k-segment TCP conversation (a generated capture: bulk data with an ACK
 * every other segment and idle gaps).
 *
 * - File → ASCII ladder: tcplab (read, decode, analyse, lay out, ASCII) beside tshark's own
 *   ASCII flow graph of the same file (`tshark -q -z flow,tcp,standard`), same run.
 * - Layout alone (pure function, CPU time of the process, median of 5).
 * - In Chromium (playwright-core, /usr/bin/chromium) against the built `tcplab serve FILE`:
 *   time to first ladder (click on the Ladder tab → the page's 'ladder-ready' performance mark,
 *   which includes fetching the 100k-segment ladder data from the backend and laying it out)
 *   and the frame time while scrolling the ladder continuously for 3 s (requestAnimationFrame
 *   intervals), with the number of arrows in the DOM (virtualisation).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { emitEthernet } from '../src-shared/wire/ethernet';
import { emitIpv4 } from '../src-shared/wire/ipv4';
import { emitTcp } from '../src-shared/wire/tcp';
import { layoutLadder } from '../src-shared/diagram/ladder';
import { ladderToAscii } from '../src-shared/diagram/export';
import { Session } from '../src-main/session/session';
import { FileSource } from '../src-main/session/sources/file';
import { conversationsOf } from '../src-main/session/conversations';
import type { BenchTable } from '../scripts/bench';

const repo = resolve(import.meta.dirname, '..');
const SEGMENTS = Number(process.env.TCPLAB_BENCH_LADDER_SEGMENTS ?? 100_000);

/** A pcap with one conversation: handshake, SEGMENTS−5 data/ACK segments, close. */
export function writeCapture(path: string, segments: number): void {
  const A = 0xc0000201;
  const B = 0xc0000202;
  const payload = new Uint8Array(100).fill(0x61);
  const chunks: Uint8Array[] = [];
  const header = new Uint8Array(24);
  const hv = new DataView(header.buffer);
  hv.setUint32(0, 0xa1b2c3d4, true);
  hv.setUint16(4, 2, true);
  hv.setUint16(6, 4, true);
  hv.setUint32(16, 65535, true);
  hv.setUint32(20, 1, true);
  chunks.push(header);
  let tUs = 1_700_000_000_000_000;
  const push = (fromA: boolean, seq: number, ack: number, flags: number, data: boolean, gapUs: number) => {
    tUs += gapUs;
    const tcp = emitTcp(
      { srcPort: fromA ? 40000 : 5201, dstPort: fromA ? 5201 : 40000, seq: seq >>> 0, ack: ack >>> 0, flags, window: 65535, payload: data ? payload : new Uint8Array(0) },
      fromA ? A : B,
      fromA ? B : A,
    );
    const ip = emitIpv4({ src: fromA ? A : B, dst: fromA ? B : A, protocol: 6, ttl: 64 }, tcp);
    const frame = emitEthernet({ dst: '02:00:00:00:00:02', src: '02:00:00:00:00:01', etherType: 0x0800 }, ip);
    const rec = new Uint8Array(16);
    const rv = new DataView(rec.buffer);
    rv.setUint32(0, Math.floor(tUs / 1e6), true);
    rv.setUint32(4, tUs % 1e6, true);
    rv.setUint32(8, frame.length, true);
    rv.setUint32(12, frame.length, true);
    chunks.push(rec, frame);
  };
  const SYN = 0x02;
  const ACK = 0x10;
  const FIN = 0x01;
  let a = 1000;
  let b = 5000;
  push(true, a, 0, SYN, false, 0);
  push(false, b, a + 1, SYN | ACK, false, 10_000);
  a++;
  b++;
  push(true, a, b, ACK, false, 10_000);
  for (let i = 0; i < segments - 5; i++) {
    // Every 3rd segment an ACK from B; a 2 s idle gap every 10 000 segments.
    const gap = i % 10_000 === 9_999 ? 2_000_000 : 120;
    if (i % 3 === 2) push(false, b, a, ACK, false, gap);
    else {
      push(true, a, b, ACK, true, gap);
      a += payload.length;
    }
  }
  push(true, a, b, FIN | ACK, false, 1000);
  push(false, b, a + 1, FIN | ACK, false, 1000);
  const total = chunks.reduce((n, c) => n + c.length, 0);
  const out = new Uint8Array(total);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.length;
  }
  writeFileSync(path, out);
}

async function sessionOf(path: string): Promise<Session> {
  return await new Promise<Session>((resolvePromise, reject) => {
    const s: Session = new Session(1, new FileSource(path), {
      onFrame: () => {},
      onProbe: () => {},
      onState: (x) => {
        if (x.state === 'done') resolvePromise(s);
        if (x.state === 'error') reject(new Error(x.error));
      },
    });
    s.start();
  });
}

function median(v: number[]): number {
  const s = [...v].sort((p, q) => p - q);
  return s[s.length >> 1]!;
}
function pct(v: number[], p: number): number {
  const s = [...v].sort((x, y) => x - y);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

async function browserFigures(file: string): Promise<{ firstLadderMs: number; frames: number[]; baseline: number[]; maxArrows: number; totalArrows: number } | string> {
  if (!existsSync(resolve(repo, 'out/main/cli.js'))) return 'not run: build first (npx electron-vite build)';
  if (!existsSync('/usr/bin/chromium')) return 'not run: /usr/bin/chromium missing';
  const { chromium } = await import('playwright-core');
  const child = spawn(process.execPath, [resolve(repo, 'bin/tcplab.js'), 'serve', file], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    const url = await new Promise<string>((ok, fail) => {
      let out = '';
      const timer = setTimeout(() => fail(new Error('tcplab serve printed no URL in 30 s')), 30_000);
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('\n')) {
          clearTimeout(timer);
          ok(out.split('\n')[0]!.trim());
        }
      });
      child.on('exit', (code) => fail(new Error(`tcplab serve exited with ${code}`)));
    });
    const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
    try {
      const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      await page.goto(url);
      // Wait until every frame reached the renderer, then measure the Ladder tab alone.
      await page.waitForFunction((n) => document.querySelector('[data-testid="status-packets"]')?.textContent === String(n), SEGMENTS, { timeout: 120_000 });
      await page.evaluate(() => performance.mark('ladder-click'));
      await page.locator('[data-tab="ladder"]').click();
      await page.waitForFunction(() => performance.getEntriesByName('ladder-ready').length > 0, undefined, { timeout: 120_000 });
      const firstLadderMs = await page.evaluate(() => {
        const click = performance.getEntriesByName('ladder-click')[0]!.startTime;
        return performance.getEntriesByName('ladder-ready')[0]!.startTime - click;
      });
      const totalArrows = Number(await page.getByTestId('ladder-svg').getAttribute('data-total-arrows'));
      // Scroll continuously for 3 s, 120 px per animation frame, and record the frame intervals.
      const result = (await page.evaluate(scrollScript('[data-testid="ladder-scroller"]'))) as { frames: number[]; maxArrows: number };
      // Reference in the same browser and run: scrolling a plain page of the same size by as much.
      const blank = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      await blank.setContent('<div id="s" style="height:860px;overflow:auto"><div style="height:2000000px"></div></div>');
      const baseline = (await blank.evaluate(scrollScript('#s'))) as { frames: number[] };
      await blank.close();
      return { firstLadderMs, totalArrows, baseline: baseline.frames, ...result };
    } finally {
      await browser.close();
    }
  } finally {
    child.kill('SIGTERM');
  }
}

/** A string, not a function: tsx's helpers (__name) do not exist in the page. */
function scrollScript(selector: string): string {
  return `(async () => {
        const el = document.querySelector('${selector}');
        const frames = [];
        let maxArrows = 0;
        let last = performance.now();
        const end = last + 3000;
        await new Promise((done) => {
          const tick = (now) => {
            frames.push(now - last);
            last = now;
            maxArrows = Math.max(maxArrows, document.querySelectorAll('[data-testid="ladder-arrow"]').length);
            el.scrollTop += 120;
            if (now < end) requestAnimationFrame(tick);
            else done();
          };
          requestAnimationFrame(tick);
        });
        return { frames: frames.slice(1), maxArrows };
      })()`;
}

export default async function ladderBench(): Promise<BenchTable> {
  const dir = mkdtempSync(join(tmpdir(), 'tcplab-ladder-bench-'));
  const file = join(dir, 'ladder-100k.pcap');
  try {
    writeCapture(file, SEGMENTS);

    // tcplab: file → ASCII ladder.
    const t0 = performance.now();
    const session = await sessionOf(file);
    const data = conversationsOf(session).ladder(0);
    const ascii = ladderToAscii(layoutLadder(data));
    const tcplabAsciiMs = performance.now() - t0;

    // tshark's ASCII flow graph of the same file.
    const t1 = performance.now();
    const ts = spawnSync('tshark', ['-r', file, '-q', '-z', 'flow,tcp,standard'], { encoding: 'utf8', maxBuffer: 1 << 30 });
    const tsharkMs = performance.now() - t1;
    const tsharkOk = ts.status === 0;

    // Layout alone: CPU time, median of 5.
    const cpu: number[] = [];
    for (let i = 0; i < 5; i++) {
      const c = process.cpuUsage();
      layoutLadder(data);
      const d = process.cpuUsage(c);
      cpu.push((d.user + d.system) / 1000);
    }

    const browser = await browserFigures(file);
    const rows: (string | number)[][] = [
      [
        `file → ASCII ladder (${data.segments.length} segments, ${ascii.split('\n').length} lines)`,
        tcplabAsciiMs.toFixed(0),
        tsharkOk ? tsharkMs.toFixed(0) : `failed: ${ts.stderr.slice(0, 80)}`,
        tsharkOk ? (tcplabAsciiMs / tsharkMs).toFixed(2) : '—',
      ],
      ['layout only (CPU ms, median of 5)', median(cpu).toFixed(0), '—', '—'],
    ];
    if (typeof browser === 'string') rows.push(['Chromium: time to first ladder / frame time', browser, '—', '—']);
    else {
      rows.push([`Chromium: time to first ladder (${browser.totalArrows} arrows)`, browser.firstLadderMs.toFixed(0), '—', '—']);
      const fmt = (f: number[]) => (f.length === 0 ? 'no frame completed' : `${pct(f, 50).toFixed(1)} / ${pct(f, 95).toFixed(1)} / ${Math.max(...f).toFixed(1)}`);
      rows.push([
        'Chromium: frame time while scrolling 3 s, p50 / p95 / max (reference: a plain page scrolled alike)',
        fmt(browser.frames),
        fmt(browser.baseline),
        browser.frames.length === 0 ? '—' : (pct(browser.frames, 50) / pct(browser.baseline, 50)).toFixed(2),
      ]);
      rows.push(['Chromium: arrows in the DOM while scrolling (max)', browser.maxArrows, '—', '—']);
      rows.push(['Chromium: frames drawn in the 3 s of scrolling', browser.frames.length + 1, browser.baseline.length + 1, '—']);
    }
    return {
      title: 'Ladder diagram (100k-segment conversation)',
      command: 'npx tsx scripts/bench.ts ladder (build first: npx electron-vite build)',
      columns: ['measure', 'tcplab (ms)', 'reference (ms): tshark -z flow,tcp,standard / plain page', 'ratio'],
      rows,
      notes: [
        'tshark draws its flow graph of the same file in the same run; it has no layout step, no state column and no label choices, so the ratio compares whole pipelines.',
        'Time to first ladder: click on the Ladder tab → the view’s `ladder-ready` mark (conversation list and ladder data over the WebSocket, layout, first paint).',
        'Frame time: requestAnimationFrame intervals while the ladder scrolls 120 px per frame; the view draws only the arrows in view.',
        'Shared 2-core machine: wall-clock figures vary with the other load; layout is process CPU time.',
        'Chromium runs with --disable-gpu (software raster). The ladder is drawn in viewport-high SVG bands that stay while in reach, so most scroll frames only move painted tiles; a band is drawn when it comes into reach (the slower frames).',
      ],
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
