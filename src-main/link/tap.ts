/**
 * A Linux TAP device through koffi (no compiler, the same prebuilt binary loads in Electron).
 *
 * Opening: `/dev/net/tun` with O_RDWR|O_NONBLOCK, then `ioctl(TUNSETIFF, {name, IFF_TAP|IFF_NO_PI})`
 * attaches to an existing TAP (a persistent one made by `ip tuntap add dev NAME mode tap user $USER`
 * needs no capability) or creates a new, non-persistent one (needs CAP_NET_ADMIN; it disappears
 * when we close it).
 *
 * Reading: a worker thread polls the non-blocking fd (100 ms timeout, so it notices `close`),
 * drains every frame that is ready into one reusable buffer and posts the batch as one exact-size
 * ArrayBuffer (transferred).
 * The main thread never blocks. Measured ~275k frames/s on the lab machine (TOOLCHAIN.md).
 * The worker is an inline CommonJS source string run with `eval: true`: the same code works under
 * tsx, Vitest (which cannot start .ts workers) and the bundled Electron main process; koffi's path
 * is resolved here and passed in, so the worker needs no module resolution of its own.
 *
 * Writing: straight `write(2)` on the main thread (a TAP write never blocks for long; EAGAIN when
 * the kernel's queue is full is counted as the drop 'tx-queue-full').
 */
import { Worker } from 'node:worker_threads';
import { createRequire } from 'node:module';
import { existsSync, readFileSync } from 'node:fs';
import { countDrop, emptyStats, type Device, type DeviceStats, type FrameListener, type SendMeta } from './device';
import type { Clock } from '@shared/sim/clock';
import type { MacAddress } from './types';

const TUNSETIFF = 0x400454ca;
const IFF_TAP = 0x0002;
const IFF_NO_PI = 0x1000;
const O_RDWR = 0o2;
const O_NONBLOCK = 0o4000;
const O_CLOEXEC = 0o2000000;
const IFNAMSIZ = 16;

/** A TAP error with the errno name and what to do about it. */
export class TapError extends Error {
  override name = 'TapError';
  constructor(
    readonly code: 'ENODEV' | 'EPERM' | 'EBUSY' | 'ENOENT' | 'EINVAL' | 'EIO',
    message: string,
  ) {
    super(message);
  }
}

export interface TapOpenOptions {
  /** Create the TAP if it does not exist (needs CAP_NET_ADMIN; removed again on close). */
  create?: boolean;
  /** MTU the stack should assume (default: the interface's MTU from sysfs, else 1500). */
  mtu?: number;
  /** Clock for receive timestamps (default performance.now). */
  clock?: Clock;
  /** Frames per posted batch at most (default 256). */
  batchFrames?: number;
}

interface Libc {
  open: (path: string, flags: number) => number;
  close: (fd: number) => number;
  ioctl: (fd: number, req: number, arg: Uint8Array) => number;
  write: (fd: number, buf: Uint8Array, len: number) => number;
  strerror: (errnum: number) => string;
  errno: () => number;
  errnoNames: Record<string, number>;
}

let libcCache: Libc | null = null;
const requireHere = createRequire(import.meta.url);

function koffiPath(): string {
  return requireHere.resolve('koffi');
}

function libc(): Libc {
  if (libcCache) return libcCache;
  const koffi = requireHere('koffi') as typeof import('koffi');
  const lib = koffi.load('libc.so.6');
  libcCache = {
    open: lib.func('int open(const char *path, int flags)') as Libc['open'],
    close: lib.func('int close(int fd)') as Libc['close'],
    ioctl: lib.func('int ioctl(int fd, unsigned long req, void *arg)') as Libc['ioctl'],
    write: lib.func('long write(int fd, const void *buf, unsigned long count)') as Libc['write'],
    strerror: lib.func('const char *strerror(int errnum)') as Libc['strerror'],
    errno: () => koffi.errno(),
    errnoNames: koffi.os.errno as unknown as Record<string, number>,
  };
  return libcCache;
}

function errnoName(n: number): string {
  const names = libc().errnoNames;
  for (const [k, v] of Object.entries(names)) if (v === n) return k;
  return `errno ${n}`;
}

/** The worker: poll + drain + post batches. CommonJS, run with `eval: true`. */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const koffi = require(workerData.koffiPath);
const lib = koffi.load('libc.so.6');
const poll = lib.func('int poll(void *fds, unsigned long nfds, int timeout)');
const read = lib.func('long read(int fd, void *buf, unsigned long count)');
const fd = workerData.fd;
const stop = new Int32Array(workerData.stop);
const EAGAIN = koffi.os.errno.EAGAIN, EINTR = koffi.os.errno.EINTR;
const MAX_FRAME = 65536 + 64;
const BATCH_BYTES = workerData.batchBytes;
const BATCH_FRAMES = workerData.batchFrames;
const pfd = new Uint8Array(8);
const pv = new DataView(pfd.buffer);
// One reusable read buffer; each batch is posted as an exact-size copy (one memcpy), so a wake-up
// for a single 60-byte frame does not allocate 1 MiB, and receivers never pin a big buffer.
const buf = new Uint8Array(BATCH_BYTES);
const lengths = new Uint32Array(BATCH_FRAMES);
let used = 0, count = 0;
function flush() {
  if (count === 0) return;
  const out = buf.slice(0, used);
  const lens = lengths.slice(0, count);
  parentPort.postMessage({ buf: out.buffer, lengths: lens.buffer, count, used }, [out.buffer, lens.buffer]);
  used = 0; count = 0;
}
while (Atomics.load(stop, 0) === 0) {
  pv.setInt32(0, fd, true); pv.setInt16(4, 1 /* POLLIN */, true); pv.setInt16(6, 0, true);
  const r = poll(pfd, 1, 100);
  if (Atomics.load(stop, 0) !== 0) break;
  if (r < 0) { const e = koffi.errno(); if (e === EINTR) continue; parentPort.postMessage({ error: 'poll', errno: e }); break; }
  if (r === 0) continue;
  const revents = pv.getInt16(6, true);
  if (revents & 0x38 /* POLLERR|POLLHUP|POLLNVAL */) { parentPort.postMessage({ error: 'poll-revents', errno: revents }); break; }
  for (;;) {
    if (BATCH_BYTES - used < MAX_FRAME || count === BATCH_FRAMES) flush();
    const n = read(fd, buf.subarray(used), MAX_FRAME);
    if (n < 0) {
      const e = koffi.errno();
      if (e === EAGAIN || e === EINTR) break;
      parentPort.postMessage({ error: 'read', errno: e });
      break;
    }
    if (n === 0) break;
    lengths[count++] = n; used += n;
  }
  flush();
}
parentPort.postMessage({ stopped: true });
`;

/** Reads a number from /sys/class/net/NAME/FILE, or null. */
function sysfsNumber(ifname: string, file: string): number | null {
  try {
    const text = readFileSync(`/sys/class/net/${ifname}/${file}`, 'utf8').trim();
    const n = text.startsWith('0x') ? parseInt(text, 16) : Number(text);
    return Number.isFinite(n) ? n : null;
  } catch {
    return null;
  }
}

export class TapDevice implements Device {
  readonly mac: MacAddress | null = null;
  private listener: FrameListener | null = null;
  private readonly statsData: DeviceStats = emptyStats();
  private closed = false;
  private closing: Promise<void> | null = null;
  private readonly stopFlag = new Int32Array(new SharedArrayBuffer(4));
  private worker: Worker | null = null;
  private workerError: string | null = null;

  private constructor(
    readonly name: string,
    readonly mtu: number,
    private readonly fd: number,
    /** True when we created the interface (it vanishes on close). */
    readonly created: boolean,
    private readonly clock: Clock | undefined,
    batchFrames: number,
  ) {
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: {
        koffiPath: koffiPath(),
        fd,
        stop: this.stopFlag.buffer,
        batchBytes: 1 << 20,
        batchFrames,
      },
    });
    this.worker.on('message', (msg: WorkerMessage) => this.onWorkerMessage(msg));
    this.worker.on('error', (err) => {
      this.workerError = String(err);
      countDrop(this.statsData, 'reader-error');
    });
  }

  /**
   * Attaches to the TAP `name` (or creates it with `create`). Errors are TapError with a fix:
   * ENODEV (no such interface and no --create), EPERM (not the owner / no CAP_NET_ADMIN),
   * EBUSY (another process is attached), EINVAL (the interface exists but is not a TAP).
   */
  static async open(name: string, opts: TapOpenOptions = {}): Promise<TapDevice> {
    if (name.length === 0 || name.length >= IFNAMSIZ || /[\s/]/.test(name)) {
      throw new TapError('EINVAL', `tap: interface name '${name}' is invalid (1..15 characters, no '/' or spaces)`);
    }
    if (!existsSync('/dev/net/tun')) {
      throw new TapError('ENOENT', 'tap: /dev/net/tun does not exist (kernel without TUN/TAP, or a container without the device)');
    }
    const exists = existsSync(`/sys/class/net/${name}`);
    if (exists && !existsSync(`/sys/class/net/${name}/tun_flags`)) {
      throw new TapError('EINVAL', `tap: interface '${name}' exists but is not a TUN/TAP device`);
    }
    if (exists) {
      const flags = sysfsNumber(name, 'tun_flags');
      if (flags !== null && (flags & IFF_TAP) === 0) {
        throw new TapError('EINVAL', `tap: '${name}' is a TUN (layer 3) device, not a TAP; create it with 'mode tap'`);
      }
    }
    if (!exists && !opts.create) {
      throw new TapError(
        'ENODEV',
        `tap: no interface named '${name}'. Create a persistent TAP once with\n` +
          `  sudo ip tuntap add dev ${name} mode tap user $USER && sudo ip link set ${name} up\n` +
          `or pass --create (needs CAP_NET_ADMIN; the TAP is removed again on exit)`,
      );
    }
    const c = libc();
    const fd = c.open('/dev/net/tun', O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
      const e = c.errno();
      throw new TapError(
        e === c.errnoNames.EACCES || e === c.errnoNames.EPERM ? 'EPERM' : 'EIO',
        `tap: cannot open /dev/net/tun: ${errnoName(e)} (${c.strerror(e)})`,
      );
    }
    const ifr = new Uint8Array(40);
    ifr.set(new TextEncoder().encode(name), 0);
    new DataView(ifr.buffer).setUint16(IFNAMSIZ, IFF_TAP | IFF_NO_PI, true);
    if (c.ioctl(fd, TUNSETIFF, ifr) < 0) {
      const e = c.errno();
      c.close(fd);
      const en = c.errnoNames;
      if (e === en.EPERM || e === en.EACCES) {
        throw new TapError(
          'EPERM',
          exists
            ? `tap: not allowed to attach to '${name}' (EPERM): it belongs to another user. Fix once with\n` +
                `  sudo ip tuntap del dev ${name} mode tap && sudo ip tuntap add dev ${name} mode tap user $USER`
            : `tap: creating '${name}' needs CAP_NET_ADMIN (EPERM). Create it once instead with\n` +
                `  sudo ip tuntap add dev ${name} mode tap user $USER`,
        );
      }
      if (e === en.EBUSY) {
        throw new TapError('EBUSY', `tap: '${name}' is already attached by another process (EBUSY); stop it first`);
      }
      if (e === en.EINVAL) {
        throw new TapError('EINVAL', `tap: '${name}' exists with other flags (EINVAL: a TUN, or multi-queue)`);
      }
      throw new TapError('EIO', `tap: TUNSETIFF on '${name}' failed: ${errnoName(e)} (${c.strerror(e)})`);
    }
    const mtu = opts.mtu ?? sysfsNumber(name, 'mtu') ?? 1500;
    return new TapDevice(name, mtu, fd, !exists, opts.clock, opts.batchFrames ?? 256);
  }

  private onWorkerMessage(msg: WorkerMessage): void {
    if ('error' in msg) {
      this.workerError = `${msg.error}: ${errnoName(msg.errno)}`;
      countDrop(this.statsData, 'reader-error');
      return;
    }
    if ('stopped' in msg) return;
    if (this.closed) return;
    const bytes = new Uint8Array(msg.buf);
    const lengths = new Uint32Array(msg.lengths);
    const t = this.clock ? this.clock.now() : performance.now();
    let off = 0;
    const s = this.statsData;
    for (let i = 0; i < msg.count; i++) {
      const len = lengths[i]!;
      const frame = bytes.subarray(off, off + len);
      off += len;
      s.rxFrames++;
      s.rxBytes += len;
      if (this.listener) this.listener(frame, { t });
      else countDrop(s, 'no-listener');
    }
  }

  send(frame: Uint8Array, _meta?: SendMeta): void {
    if (this.closed) {
      countDrop(this.statsData, 'closed');
      return;
    }
    const c = libc();
    const n = c.write(this.fd, frame, frame.length);
    if (n < 0) {
      const e = c.errno();
      countDrop(this.statsData, e === c.errnoNames.EAGAIN ? 'tx-queue-full' : e === c.errnoNames.EIO ? 'tx-link-down' : 'write-error');
      return;
    }
    this.statsData.txFrames++;
    this.statsData.txBytes += frame.length;
  }

  onReceive(listener: FrameListener | null): void {
    this.listener = listener;
  }

  /** The last reader error, if the worker stopped on one. */
  readerError(): string | null {
    return this.workerError;
  }

  close(): Promise<void> {
    if (this.closing) return this.closing;
    this.closed = true;
    Atomics.store(this.stopFlag, 0, 1);
    const worker = this.worker;
    this.worker = null;
    this.closing = (async () => {
      if (worker) {
        // The worker sees the flag within one poll timeout (100 ms) and exits by itself.
        await new Promise<void>((resolve) => {
          const timer = setTimeout(() => void worker.terminate().then(() => resolve()), 1000);
          worker.once('exit', () => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
      libc().close(this.fd);
    })();
    return this.closing;
  }

  stats(): DeviceStats {
    return { ...this.statsData, drops: { ...this.statsData.drops } };
  }
}

type WorkerMessage =
  | { buf: ArrayBuffer; lengths: ArrayBuffer; count: number; used: number }
  | { error: string; errno: number }
  | { stopped: true };
