/**
 * Charts and the packet table (issue 8 §8), in Chromium (playwright-core, /usr/bin/chromium):
 *
 * - Redraw time of a 1M-point cwnd series: the option tcplab's Congestion view builds
 *   (`congestionOption`: LTTB sampling, large mode, step line, no animation) drawn by ECharts'
 *   canvas renderer, timed from setOption to ECharts' 'finished' event — the first draw and a
 *   redraw with the cursor moved (the view rebuilds the whole option on a cursor move). Reference
 *   in the same page and run: the same 1M points as ECharts' default line (no sampling, no large
 *   mode).
 * - Frame time while scrolling the Packets table over 1M frames in the built `tcplab serve FILE`
 *   (3 s of continuous scrolling, requestAnimationFrame intervals), beside a plain page scrolled
 *   the same way (the browser's own frame time here).
 * - The display filter over the same 1M frames in main (`session.filter`'s code) beside
 *   `tshark -Y` on the same file.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { BenchTable } from '../scripts/bench';
import type { SessionSeries } from '../src-shared/model/series';
import { congestionOption, type CongestionLabels } from '../src-renderer/charts/options';
import { writeCapture } from './ladder.bench';
import { Session } from '../src-main/session/session';
import { FileSource } from '../src-main/session/sources/file';
import { filterFrames } from '../src-main/session/series';

const repo = resolve(import.meta.dirname, '..');
const POINTS = Number(process.env.TCPLAB_BENCH_CHART_POINTS ?? 1_000_000);
const FRAMES = Number(process.env.TCPLAB_BENCH_TABLE_FRAMES ?? 1_000_000);
const LOAD_TIMEOUT_MS = Number(process.env.TCPLAB_BENCH_LOAD_TIMEOUT_MS ?? 600_000);
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'];

const labels: CongestionLabels = {
  cwnd: 'cwnd',
  ssthresh: 'ssthresh',
  flight: 'flight size',
  pipe: 'pipe',
  rwnd: 'receiver window',
  estimate: 'cwnd estimate',
  bytes: 'bytes',
  time: 'time (s)',
  recovery: 'recovery',
  cursor: 'cursor',
  markers: { 'fast-retransmit': 'fast retransmit', rto: 'RTO', 'recovery-exit': 'recovery end', ecn: 'ECN', retransmission: 'retransmission' },
};

/** A Reno-like sawtooth of n points: +1 MSS per step, halved every 2000 steps. */
function sawtooth(n: number): SessionSeries {
  const t: number[] = new Array(n);
  const v: number[] = new Array(n);
  let c = 14600;
  for (let i = 0; i < n; i++) {
    t[i] = i * 1e-4;
    if (i % 2000 === 1999) c = Math.max(2920, c / 2);
    else c += 1460 * (1460 / c);
    v[i] = Math.round(c);
  }
  const empty = { t: [], v: [] };
  return {
    stream: 0,
    source: 'lab',
    sender: 'a',
    receiver: 'b',
    algorithm: 'reno',
    cwnd: { t, v },
    ssthresh: null,
    flightSize: null,
    pipe: null,
    recovery: [],
    cwndEstimate: { ...empty, method: 'estimate' },
    bytesInFlight: empty,
    rwnd: empty,
    rtt: empty,
    throughput: empty,
    goodput: empty,
    markers: [],
    tsg: { segT: [], segSeq: [], segEnd: [], retrans: [], ackT: [], ack: [], win: [], sackT: [], sackL: [], sackR: [], syn: [], fin: [], rst: [] },
    window: { inferred: false, snapshots: [] },
    endT: n * 1e-4,
  };
}

function median(v: number[]): number {
  const s = [...v].sort((x, y) => x - y);
  return s[s.length >> 1]!;
}
function pct(v: number[], p: number): number {
  const s = [...v].sort((x, y) => x - y);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

/** Draw time (setOption → 'finished') of an option in a page that has ECharts loaded. */
const DRAW = `async (opt) => {
  const el = document.getElementById('c');
  if (window.__chart) window.__chart.dispose();
  const chart = echarts.init(el, undefined, { renderer: 'canvas' });
  window.__chart = chart;
  const draw = (o) => new Promise((done) => {
    const t0 = performance.now();
    chart.off('finished');
    chart.on('finished', () => done(performance.now() - t0));
    chart.setOption(o, { notMerge: true });
  });
  const first = await draw(opt);
  const redraws = [];
  for (let i = 0; i < 3; i++) {
    const o2 = { ...opt, series: opt.series.map((s, k) => (k === 0 ? { ...s, markLine: { symbol: 'none', silent: true, animation: false, data: [{ xAxis: (i + 1) * 10 }] } } : s)) };
    redraws.push(await draw(o2));
  }
  return { first, redraws };
}`;

async function chartFigures(): Promise<{ tcplab: { first: number; redraws: number[] }; plain: { first: number; redraws: number[] } } | string> {
  if (!existsSync('/usr/bin/chromium')) return 'not run: /usr/bin/chromium missing';
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  try {
    const page = await browser.newPage({ viewport: { width: 1200, height: 700 } });
    await page.setContent('<div id="c" style="width:1100px;height:600px"></div>');
    await page.addScriptTag({ path: resolve(repo, 'node_modules/echarts/dist/echarts.min.js') });
    const option = congestionOption(sawtooth(POINTS), [], labels, null);
    // Only the cwnd line: the other series of this synthetic run are empty.
    option.series = option.series.filter((s) => s.data.length > 0);
    const tcplab = (await page.evaluate(`(${DRAW})(${JSON.stringify(option)})`)) as { first: number; redraws: number[] };
    const plainOption = { ...option, series: [{ name: 'cwnd', type: 'line', data: option.series[0]!.data, showSymbol: false }] };
    const plain = (await page.evaluate(`(${DRAW})(${JSON.stringify(plainOption)})`)) as { first: number; redraws: number[] };
    return { tcplab, plain };
  } finally {
    await browser.close();
  }
}

function scrollScript(selector: string): string {
  return `(async () => {
    const el = document.querySelector('${selector}');
    const frames = [];
    let maxRows = 0;
    let last = performance.now();
    const end = last + 3000;
    await new Promise((done) => {
      const tick = (now) => {
        frames.push(now - last);
        last = now;
        maxRows = Math.max(maxRows, document.querySelectorAll('[data-testid="packet-row"]').length);
        el.scrollTop += 2200;
        if (now < end) requestAnimationFrame(tick);
        else done();
      };
      requestAnimationFrame(tick);
    });
    return { frames: frames.slice(1), maxRows, top: el.scrollTop };
  })()`;
}

async function tableFigures(file: string): Promise<{ frames: number[]; baseline: number[]; maxRows: number; loadMs: number } | string> {
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
    const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
    try {
      const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      const t0 = Date.now();
      await page.goto(url);
      await page.waitForFunction((n) => document.querySelector('[data-testid="status-packets"]')?.textContent === String(n), FRAMES, { timeout: LOAD_TIMEOUT_MS, polling: 1000 });
      // The status bar counts main's frames; wait until the table's spacer holds every row too.
      await page.waitForFunction((n) => parseFloat((document.querySelector('[data-testid="packet-viewport"] .spacer') as HTMLElement | null)?.style.height ?? '0') === n * 22, FRAMES, { timeout: LOAD_TIMEOUT_MS, polling: 1000 });
      await page.waitForFunction((n) => document.querySelectorAll('[data-testid="packet-row"]').length > 0 && n > 0, FRAMES, { timeout: 60_000 });
      const loadMs = Date.now() - t0;
      const r = (await page.evaluate(scrollScript('[data-testid="packet-viewport"]'))) as { frames: number[]; maxRows: number };
      const blank = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      await blank.setContent('<div id="s" style="height:860px;overflow:auto"><div style="height:22000000px"></div></div>');
      const baseline = (await blank.evaluate(scrollScript('#s'))) as { frames: number[] };
      await blank.close();
      return { frames: r.frames, maxRows: r.maxRows, baseline: baseline.frames, loadMs };
    } finally {
      await browser.close();
    }
  } finally {
    child.kill('SIGTERM');
  }
}

async function sessionOf(file: string): Promise<Session> {
  const observer = { onFrame() {}, onProbe() {}, onState() {} };
  const session = new Session(1, new FileSource(file), observer);
  await new Promise<void>((done, fail) => {
    observer.onState = () => {
      if (session.state === 'done') done();
      else if (session.state === 'error') fail(new Error(session.error));
    };
    session.start();
  });
  return session;
}

export default async function chartsBench(): Promise<BenchTable> {
  const dir = mkdtempSync(join(tmpdir(), 'tcplab-charts-bench-'));
  const file = join(dir, 'table-1m.pcap');
  try {
    writeCapture(file, FRAMES);
    const rows: (string | number)[][] = [];
    const notes: string[] = [];

    const chart = await chartFigures();
    if (typeof chart === 'string') notes.push(`chart: ${chart}`);
    else {
      console.error(`charts: tcplab ${JSON.stringify(chart.tcplab)} plain ${JSON.stringify(chart.plain)}`);
      const ratio = (a: number, b: number) => (b > 0 ? (a / b).toFixed(2) : '—');
      rows.push([`${POINTS.toLocaleString('en')}-point cwnd, first draw (ms)`, chart.tcplab.first.toFixed(0), chart.plain.first.toFixed(0), 'ECharts default line, same data', ratio(chart.tcplab.first, chart.plain.first)]);
      const tr = median(chart.tcplab.redraws);
      const pr = median(chart.plain.redraws);
      rows.push([`${POINTS.toLocaleString('en')}-point cwnd, redraw (setOption of a changed option, ms, median of 3)`, tr.toFixed(0), pr.toFixed(0), 'ECharts default line, same data', ratio(tr, pr)]);
    }

    let table: Awaited<ReturnType<typeof tableFigures>>;
    try {
      table = await tableFigures(file);
    } catch (err) {
      table = `not measured: ${(err as Error).message.split('\n')[0]}`;
    }
    if (typeof table === 'string') notes.push(`table: ${table}`);
    else {
      rows.push([
        `Packets table, ${FRAMES.toLocaleString('en')} rows: frame time while scrolling (ms, median / p95)`,
        `${median(table.frames).toFixed(1)} / ${pct(table.frames, 95).toFixed(1)}`,
        `${median(table.baseline).toFixed(1)} / ${pct(table.baseline, 95).toFixed(1)}`,
        'plain page scrolled the same way',
        (median(table.frames) / median(table.baseline)).toFixed(2),
      ]);
      notes.push(`Packets table: at most ${table.maxRows} rows in the DOM while scrolling; ${FRAMES.toLocaleString('en')} frames loaded into the page in ${(table.loadMs / 1000).toFixed(1)} s (backend read + summaries + paging).`);
    }

    // Display filter over the same file: tcplab (main, the session.filter code) vs tshark -Y.
    const session = await sessionOf(file);
    const filter = 'tcp.flags.syn == 1 || tcp.len > 0 && tcp.srcport == 5201';
    const f0 = performance.now();
    const res = filterFrames(session, filter);
    const filterMs = performance.now() - f0;
    const t0 = performance.now();
    const ts = spawnSync('tshark', ['-n', '-r', file, '-Y', filter, '-T', 'fields', '-e', 'frame.number'], { encoding: 'utf8', maxBuffer: 1 << 30 });
    const tsharkMs = performance.now() - t0;
    const tsharkCount = ts.status === 0 ? ts.stdout.split('\n').filter((l) => l.trim() !== '').length : -1;
    rows.push([
      `display filter \`${filter}\` over ${FRAMES.toLocaleString('en')} frames (ms)`,
      filterMs.toFixed(0),
      ts.status === 0 ? tsharkMs.toFixed(0) : 'n/a',
      'tshark -Y (reads and dissects the file too)',
      ts.status === 0 ? (filterMs / tsharkMs).toFixed(2) : '—',
    ]);
    notes.push(`Display filter: tcplab matched ${res.frames.length} frames, tshark ${tsharkCount}; tcplab's time excludes reading the file (the session already holds the frames) and includes decoding every frame and the analysis lookups.`);
    notes.push('Chart times are setOption → ECharts "finished" in Chromium with the canvas renderer and no GPU. The redraw row is what a new option costs (new data of a live session, a theme or language change); the timeline cursor is an HTML overlay placed with convertToPixel and redraws nothing.');
    return {
      title: 'Charts and packet table (Chromium)',
      command: 'npx tsx scripts/bench.ts charts',
      columns: ['measure', 'tcplab', 'reference', 'reference is', 'tcplab / reference'],
      rows,
      notes,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
