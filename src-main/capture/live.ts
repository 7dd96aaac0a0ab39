/**
 * Live capture from any interface through libpcap, called via koffi (prebuilt N-API, no compiler):
 * the same binary loads in Node and in Electron. (npm `cap` would need a rebuild for Electron's
 * ABI, and it exposes neither per-packet timestamps nor pcap_stats, which the drop counts need.)
 *
 * libpcap's calls block, so the capture runs in its own worker thread that drains many packets per
 * wake-up (pcap_next_ex with a 100 ms timeout) and posts them in batches; pcap_stats are posted
 * every half second. A bad BPF filter fails `start()` with libpcap's own error text; a missing
 * permission fails it with the one-time command that grants it.
 */
import { Worker } from 'node:worker_threads';
import { createRequire } from 'node:module';
import { realpathSync } from 'node:fs';

export interface LiveInterface {
  name: string;
  description: string | null;
  /** IPv4 addresses of the interface. */
  addresses: string[];
  up: boolean;
  running: boolean;
  loopback: boolean;
}

export interface LiveCaptureOptions {
  device: string;
  /** A BPF filter in libpcap's syntax (`tcp port 80`); empty = everything. */
  filter?: string;
  snaplen?: number;
  promiscuous?: boolean;
}

export interface LivePacket {
  tsSec: number;
  tsUsec: number;
  originalLength: number;
  data: Uint8Array;
}

/** libpcap's own counters (pcap_stats): received by the filter, dropped by the kernel buffer, by the interface. */
export interface LiveStats {
  received: number;
  dropped: number;
  ifDropped: number;
}

export class LiveCaptureError extends Error {
  override name = 'LiveCaptureError';
  constructor(
    message: string,
    readonly kind: 'permission' | 'filter' | 'device' | 'library',
  ) {
    super(message);
  }
}

const requireFromHere = createRequire(import.meta.url);
const PCAP_LIBRARY = 'libpcap.so.0.8';
const PCAP_IF_LOOPBACK = 0x1;
const PCAP_IF_UP = 0x2;
const PCAP_IF_RUNNING = 0x4;
const AF_INET = 2;

/**
 * The one-time command that lets a user capture without root (README, privilege model): the
 * capabilities go on the binary that runs tcplab — node for the CLI and the browser shell,
 * electron for the app — named by its real path (setcap refuses a symlink).
 */
export function captureCapabilityFix(executable: string = process.execPath): string {
  let binary = executable;
  try {
    binary = realpathSync(executable);
  } catch {
    // keep the path as given
  }
  return `sudo setcap cap_net_raw,cap_net_admin=eip ${/^[\w./+-]+$/.test(binary) ? binary : `'${binary.replace(/'/g, `'\\''`)}'`}`;
}

type Koffi = typeof import('koffi');

function loadKoffi(): Koffi {
  return requireFromHere('koffi') as Koffi;
}

/** Interfaces libpcap can capture on, with their IPv4 addresses (pcap_findalldevs). */
export function listInterfaces(): LiveInterface[] {
  const koffi = loadKoffi();
  let lib: ReturnType<Koffi['load']>;
  try {
    lib = koffi.load(PCAP_LIBRARY);
  } catch (err) {
    throw new LiveCaptureError(`cannot load ${PCAP_LIBRARY} (${(err as Error).message}); install libpcap0.8`, 'library');
  }
  const sockaddr = koffi.struct({ sa_family: 'uint16', sa_data: koffi.array('uint8', 14) });
  const pcapAddr = koffi.struct({ next: 'void*', addr: 'void*', netmask: 'void*', broadaddr: 'void*', dstaddr: 'void*' });
  const pcapIf = koffi.struct({ next: 'void*', name: 'const char*', description: 'const char*', addresses: 'void*', flags: 'uint32' });
  const findalldevs = lib.func('int pcap_findalldevs(_Out_ void **alldevs, char *errbuf)');
  const freealldevs = lib.func('void pcap_freealldevs(void *alldevs)');
  const errbuf = Buffer.alloc(512);
  const head: unknown[] = [null];
  if (findalldevs(head, errbuf) !== 0) throw new LiveCaptureError(`pcap_findalldevs: ${cString(errbuf)}`, 'library');
  const out: LiveInterface[] = [];
  try {
    for (let p = head[0]; p; ) {
      const d = koffi.decode(p, pcapIf) as { next: unknown; name: string; description: string | null; addresses: unknown; flags: number };
      const addresses: string[] = [];
      for (let a = d.addresses; a; ) {
        const pa = koffi.decode(a, pcapAddr) as { next: unknown; addr: unknown };
        if (pa.addr) {
          const sa = koffi.decode(pa.addr, sockaddr) as { sa_family: number; sa_data: number[] };
          if (sa.sa_family === AF_INET) addresses.push(sa.sa_data.slice(2, 6).join('.'));
        }
        a = pa.next;
      }
      out.push({
        name: d.name,
        description: d.description,
        addresses,
        up: (d.flags & PCAP_IF_UP) !== 0,
        running: (d.flags & PCAP_IF_RUNNING) !== 0,
        loopback: (d.flags & PCAP_IF_LOOPBACK) !== 0,
      });
      p = d.next;
    }
  } finally {
    freealldevs(head[0]);
  }
  return out;
}

function cString(buf: Buffer): string {
  const end = buf.indexOf(0);
  return buf.toString('utf8', 0, end < 0 ? buf.length : end);
}

/** The capture loop. CommonJS, run with `eval: true` so it works from source and when bundled. */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const koffi = require(workerData.koffiPath);
const lib = koffi.load(workerData.library);
const libc = koffi.load('libc.so.6');
const hdrT = koffi.struct({ tv_sec: 'long', tv_usec: 'long', caplen: 'uint32', len: 'uint32' });
const pcap_create = lib.func('void *pcap_create(const char *dev, char *errbuf)');
const set_snaplen = lib.func('int pcap_set_snaplen(void *p, int snaplen)');
const set_promisc = lib.func('int pcap_set_promisc(void *p, int promisc)');
const set_immediate = lib.func('int pcap_set_immediate_mode(void *p, int on)');
const set_buffer = lib.func('int pcap_set_buffer_size(void *p, int size)');
const activate = lib.func('int pcap_activate(void *p)');
const statustostr = lib.func('const char *pcap_statustostr(int error)');
const compile = lib.func('int pcap_compile(void *p, void *fp, const char *str, int optimize, uint32 netmask)');
const setfilter = lib.func('int pcap_setfilter(void *p, void *fp)');
const freecode = lib.func('void pcap_freecode(void *fp)');
const setnonblock = lib.func('int pcap_setnonblock(void *p, int nonblock, char *errbuf)');
const selectable_fd = lib.func('int pcap_get_selectable_fd(void *p)');
const next_ex = lib.func('int pcap_next_ex(void *p, _Out_ void **hdr, _Out_ void **data)');
const stats = lib.func('int pcap_stats(void *p, void *st)');
const geterr = lib.func('const char *pcap_geterr(void *p)');
const datalink = lib.func('int pcap_datalink(void *p)');
const close = lib.func('void pcap_close(void *p)');
const poll = libc.func('int poll(void *fds, unsigned long nfds, int timeout)');
const control = new Int32Array(workerData.control); // [stop, paused]
const errbuf = Buffer.alloc(512);
const cstr = (b) => { const e = b.indexOf(0); return b.toString('utf8', 0, e < 0 ? b.length : e); };
(function capture() {
// pcap_create + pcap_activate (not pcap_open_live) to ask for immediate mode: packets are handed
// over as they arrive rather than when a kernel block fills.
const h = pcap_create(workerData.device, errbuf);
if (!h) { parentPort.postMessage({ type: 'error', message: cstr(errbuf) }); return; }
set_snaplen(h, workerData.snaplen);
set_promisc(h, workerData.promiscuous ? 1 : 0);
set_immediate(h, 1);
set_buffer(h, 8 << 20);
const status = activate(h);
if (status < 0) {
  const detail = geterr(h);
  parentPort.postMessage({ type: 'error', message: workerData.device + ': ' + statustostr(status) + (detail ? ' (' + detail + ')' : '') });
  close(h); return;
}
if (workerData.filter) {
  const prog = Buffer.alloc(16);
  if (compile(h, prog, workerData.filter, 1, 0xffffffff) !== 0) {
    parentPort.postMessage({ type: 'error', filter: true, message: geterr(h) }); close(h); return;
  }
  const ok = setfilter(h, prog);
  freecode(prog);
  if (ok !== 0) { parentPort.postMessage({ type: 'error', filter: true, message: geterr(h) }); close(h); return; }
}
// Non-blocking reads after poll() with a 100 ms timeout, so stop and pause are noticed promptly.
setnonblock(h, 1, errbuf);
const fd = selectable_fd(h);
parentPort.postMessage({ type: 'started', linkType: datalink(h) });
const BATCH_BYTES = 1 << 20, BATCH_FRAMES = 4096;
const buf = new Uint8Array(BATCH_BYTES), meta = new Float64Array(BATCH_FRAMES * 4);
let used = 0, count = 0;
function flush() {
  if (count === 0) return;
  const b = buf.slice(0, used), m = meta.slice(0, count * 4);
  parentPort.postMessage({ type: 'batch', buf: b.buffer, meta: m.buffer, count }, [b.buffer, m.buffer]);
  used = 0; count = 0;
}
const st = Buffer.alloc(12);
function postStats() {
  if (stats(h, st) === 0) parentPort.postMessage({ type: 'stats', received: st.readUInt32LE(0), dropped: st.readUInt32LE(4), ifDropped: st.readUInt32LE(8) });
}
const pfd = Buffer.alloc(8);
const hp = [null], dp = [null];
let lastStats = 0;
let failed = false;
while (Atomics.load(control, 0) === 0 && !failed) {
  if (Atomics.load(control, 1) === 1) { Atomics.wait(control, 1, 1, 100); continue; }
  pfd.writeInt32LE(fd, 0); pfd.writeInt16LE(1 /* POLLIN */, 4); pfd.writeInt16LE(0, 6);
  poll(pfd, 1, 100);
  for (;;) {
    const r = next_ex(h, hp, dp);
    if (r === 1) {
      const hd = koffi.decode(hp[0], hdrT);
      if (BATCH_BYTES - used < hd.caplen || count === BATCH_FRAMES) flush();
      buf.set(new Uint8Array(koffi.view(dp[0], hd.caplen)), used);
      const k = count * 4;
      meta[k] = Number(hd.tv_sec); meta[k + 1] = Number(hd.tv_usec); meta[k + 2] = hd.caplen; meta[k + 3] = hd.len;
      used += hd.caplen; count++;
    } else {
      if (r === -1) { parentPort.postMessage({ type: 'error', message: geterr(h) }); failed = true; }
      break;
    }
  }
  flush();
  const now = Date.now();
  if (now - lastStats > 500) { postStats(); lastStats = now; }
}
flush();
postStats();
close(h);
parentPort.postMessage({ type: 'stopped' });
})();
`;

type WorkerMessage =
  | { type: 'started'; linkType: number }
  | { type: 'error'; message: string; filter?: boolean }
  | { type: 'batch'; buf: ArrayBuffer; meta: ArrayBuffer; count: number }
  | ({ type: 'stats' } & LiveStats)
  | { type: 'stopped' };

export interface LiveCaptureHandlers {
  packets(batch: LivePacket[]): void;
  stats(stats: LiveStats): void;
  /** A failure after start (the interface went away…). */
  error(err: LiveCaptureError): void;
  stopped(): void;
}

/** A running capture on one interface. */
export class LiveCapture {
  private readonly control = new Int32Array(new SharedArrayBuffer(8));

  private constructor(
    private readonly worker: Worker,
    readonly linkType: number,
  ) {}

  /** Opens the interface, applies the filter, and resolves once packets flow (or rejects, explained). */
  static start(opts: LiveCaptureOptions, handlers: LiveCaptureHandlers): Promise<LiveCapture> {
    const control = new Int32Array(new SharedArrayBuffer(8));
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: {
        koffiPath: requireFromHere.resolve('koffi'),
        library: PCAP_LIBRARY,
        device: opts.device,
        filter: opts.filter ?? '',
        snaplen: opts.snaplen ?? 262144,
        promiscuous: opts.promiscuous ?? false,
        control: control.buffer,
      },
    });
    return new Promise((resolve, reject) => {
      let capture: LiveCapture | null = null;
      worker.on('message', (m: WorkerMessage) => {
        switch (m.type) {
          case 'started':
            capture = new LiveCapture(worker, m.linkType);
            (capture as unknown as { control: Int32Array }).control = control;
            resolve(capture);
            break;
          case 'error': {
            const err = explain(opts.device, m.message, m.filter === true);
            if (capture) handlers.error(err);
            else reject(err);
            break;
          }
          case 'batch': {
            const buf = new Uint8Array(m.buf);
            const meta = new Float64Array(m.meta);
            const packets: LivePacket[] = [];
            let off = 0;
            for (let i = 0; i < m.count; i++) {
              const caplen = meta[i * 4 + 2]!;
              packets.push({ tsSec: meta[i * 4]!, tsUsec: meta[i * 4 + 1]!, originalLength: meta[i * 4 + 3]!, data: buf.subarray(off, off + caplen) });
              off += caplen;
            }
            handlers.packets(packets);
            break;
          }
          case 'stats':
            handlers.stats({ received: m.received, dropped: m.dropped, ifDropped: m.ifDropped });
            break;
          case 'stopped':
            handlers.stopped();
            break;
        }
      });
      worker.on('error', (err) => {
        const e = new LiveCaptureError(`capture worker failed: ${err.message}`, 'library');
        if (capture) handlers.error(e);
        else reject(e);
      });
    });
  }

  /** Stops delivering packets; the kernel keeps counting what it has to drop meanwhile. */
  pause(): void {
    Atomics.store(this.control, 1, 1);
  }

  resume(): void {
    Atomics.store(this.control, 1, 0);
    Atomics.notify(this.control, 1);
  }

  /** Stops the capture; resolves when libpcap is closed and the last batch and counters are out. */
  async stop(): Promise<void> {
    Atomics.store(this.control, 0, 1);
    Atomics.store(this.control, 1, 0);
    Atomics.notify(this.control, 1);
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => void this.worker.terminate().then(() => resolve()), 2_000);
      this.worker.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}

function explain(device: string, message: string, isFilter: boolean): LiveCaptureError {
  if (isFilter) return new LiveCaptureError(`capture filter: ${message}`, 'filter');
  if (/permission|not permitted|EPERM|EACCES/i.test(message)) {
    return new LiveCaptureError(`${message}. Capturing needs CAP_NET_RAW; grant it once with: ${captureCapabilityFix()}`, 'permission');
  }
  if (/No such device|doesn't exist/i.test(message)) return new LiveCaptureError(`no interface named '${device}' (${message})`, 'device');
  return new LiveCaptureError(message, 'device');
}
