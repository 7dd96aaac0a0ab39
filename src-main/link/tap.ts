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
 * Writing: a TAP write is one frame per system call and the kernel runs its whole receive path
 * (IP, TCP, socket wake-ups) inside that call, which cost about a third of the main thread's CPU
 * when every frame was written there. The first frame of a tick, with nothing queued, is still
 * written directly (no hand-off latency for a lone reply); the rest of a burst is copied into a
 * shared ring (4 MiB) for a writer worker, woken (Atomics.notify) once at the end of the tick and
 * only when it sleeps, which drains the ring frame by frame. A full ring, and EAGAIN from the kernel, count as 'tx-queue-full'.
 * Frames leave in order; `close` lets the writer drain the ring before the fd is closed.
 */
import { Worker } from 'node:worker_threads';
import { createRequire } from 'node:module';
import { existsSync, readFileSync } from 'node:fs';
import { countDrop, emptyStats, type Device, type DeviceStats, type FrameListener, type SendMeta } from './device';
import type { Clock } from '@shared/sim/clock';
import type { MacAddress } from './types';
import type { PermissionFix } from '@shared/ipc/contract';

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
    /** With EPERM: the one-time command that fixes it (the UI shows it with a copy button). */
    readonly fix?: PermissionFix,
  ) {
    super(message);
  }
}

/**
 * A persistent TAP owned by the user: attaching to it then needs no capability at all
 * (TUNSETIFF on an existing persistent device checks only its owner/group, drivers/net/tun.c).
 */
export function tapCreateFix(name: string): PermissionFix {
  return { kind: 'tap-create', command: `sudo ip tuntap add dev ${name} mode tap user $USER` };
}

/** The TAP exists but another user owns it: make it again, owned by this user. */
export function tapOwnerFix(name: string): PermissionFix {
  return { kind: 'tap-owner', command: `sudo ip tuntap del dev ${name} mode tap && sudo ip tuntap add dev ${name} mode tap user $USER` };
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

/**
 * The transmit ring shared with the writer: records of [u32 length][frame, padded to 4 bytes];
 * a length of WRAP sends the reader back to offset 0. Control words (Int32, in bytes written and
 * read modulo the ring size): HEAD (next free byte, written by the main thread), TAIL (next byte
 * to send, written by the writer), SLEEPING (1 while the writer waits on HEAD), STOP, and the
 * writer's counters.
 */
const TX_RING_BYTES = 4 << 20;
const TX_WRAP = 0xffffffff;
const CTL_HEAD = 0;
const CTL_TAIL = 1;
const CTL_SLEEPING = 2;
const CTL_STOP = 3;
const CTL_FRAMES = 4;
const CTL_BYTES_LO = 5; // bytes modulo 2^31, overflow counted in CTL_BYTES_HI
const CTL_BYTES_HI = 6;
const CTL_QUEUE_FULL = 7;
const CTL_LINK_DOWN = 8;
const CTL_WRITE_ERROR = 9;
const CTL_WORDS = 10;

/** The writer: sleeps on HEAD, writes every queued frame with one write(2) each. */
const WRITER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const koffi = require(workerData.koffiPath);
const lib = koffi.load('libc.so.6');
const write = lib.func('long write(int fd, const void *buf, unsigned long count)');
const fd = workerData.fd;
const ctl = new Int32Array(workerData.ctl);
const ring = new Uint8Array(workerData.ring);
const lens = new Uint32Array(workerData.ring);
const SIZE = ring.length;
const EAGAIN = koffi.os.errno.EAGAIN, EINTR = koffi.os.errno.EINTR, EIO = koffi.os.errno.EIO;
for (;;) {
  let tail = ctl[${CTL_TAIL}];
  let head = Atomics.load(ctl, ${CTL_HEAD});
  if (tail === head) {
    if (Atomics.load(ctl, ${CTL_STOP}) !== 0) break;
    Atomics.store(ctl, ${CTL_SLEEPING}, 1);
    // Re-check after announcing the sleep, so a frame queued in between is not missed.
    if (Atomics.load(ctl, ${CTL_HEAD}) === tail) Atomics.wait(ctl, ${CTL_HEAD}, tail, 100);
    Atomics.store(ctl, ${CTL_SLEEPING}, 0);
    continue;
  }
  while (tail !== head) {
    const len = lens[tail >>> 2];
    if (len === ${TX_WRAP}) { tail = 0; continue; }
    let n;
    do { n = write(fd, ring.subarray(tail + 4, tail + 4 + len), len); } while (n < 0 && koffi.errno() === EINTR);
    if (n < 0) {
      const e = koffi.errno();
      Atomics.add(ctl, e === EAGAIN ? ${CTL_QUEUE_FULL} : e === EIO ? ${CTL_LINK_DOWN} : ${CTL_WRITE_ERROR}, 1);
    } else {
      Atomics.add(ctl, ${CTL_FRAMES}, 1);
      if (Atomics.add(ctl, ${CTL_BYTES_LO}, len) + len >= 0x40000000) { Atomics.sub(ctl, ${CTL_BYTES_LO}, 0x40000000); Atomics.add(ctl, ${CTL_BYTES_HI}, 1); }
    }
    tail = (tail + 4 + ((len + 3) & ~3)) % SIZE;
    Atomics.store(ctl, ${CTL_TAIL}, tail);
    if (tail === head) head = Atomics.load(ctl, ${CTL_HEAD});
  }
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
  private writer: Worker | null = null;
  private readonly txCtl = new Int32Array(new SharedArrayBuffer(CTL_WORDS * 4));
  private readonly txRing = new Uint8Array(new SharedArrayBuffer(TX_RING_BYTES));
  private readonly txLens = new Uint32Array(this.txRing.buffer);
  /** HEAD as the main thread knows it (it is the only writer of HEAD). */
  private txHead = 0;
  /** True after a direct write until the current tick's microtasks run. */
  private txBurst = false;
  private readonly endBurst = (): void => {
    this.txBurst = false;
    // After HEAD was stored: either the writer sees the new HEAD before it sleeps, or this sees
    // SLEEPING (both are sequentially consistent Atomics operations).
    if (Atomics.load(this.txCtl, CTL_SLEEPING) !== 0) Atomics.notify(this.txCtl, CTL_HEAD);
  };
  /** Direct writes' counts (the writer's are in txCtl). */
  private directFrames = 0;
  private directBytes = 0;

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
    this.writer = new Worker(WRITER_SOURCE, {
      eval: true,
      workerData: { koffiPath: koffiPath(), fd, ctl: this.txCtl.buffer, ring: this.txRing.buffer },
    });
    this.writer.on('error', (err) => {
      this.workerError = String(err);
      countDrop(this.statsData, 'writer-error');
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
        const fix = exists ? tapOwnerFix(name) : tapCreateFix(name);
        throw new TapError(
          'EPERM',
          exists
            ? `tap: not allowed to attach to '${name}' (EPERM): it belongs to another user. Fix once with\n  ${fix.command}`
            : `tap: creating '${name}' needs CAP_NET_ADMIN (EPERM). Create it once instead with\n  ${fix.command}`,
          fix,
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
    const len = frame.length;
    const need = 4 + ((len + 3) & ~3);
    const ctl = this.txCtl;
    const tail = Atomics.load(ctl, CTL_TAIL);
    let head = this.txHead;
    // The first frame of a tick, with nothing queued, is written at once: a lone reply (ping,
    // an ACK) then costs no thread hand-off, and order is kept because the ring is empty.
    // Frames after it in the same tick (a burst of segments) go to the writer.
    if (head === tail && !this.txBurst) {
      this.startBurst();
      this.writeNow(frame);
      return;
    }
    // Contiguous free bytes at HEAD; HEAD must never catch up with TAIL (that means empty).
    const contiguous = head >= tail ? TX_RING_BYTES - head - (tail === 0 ? 4 : 0) : tail - head - 4;
    let at = head;
    if (contiguous < need) {
      // Wrap: the record must start at 0 and end before TAIL (and leave room for the marker).
      if (head < tail || tail - 4 < need || head + 4 > TX_RING_BYTES) {
        countDrop(this.statsData, 'tx-queue-full');
        return;
      }
      this.txLens[head >>> 2] = TX_WRAP;
      at = 0;
    }
    this.txRing.set(frame, at + 4);
    this.txLens[at >>> 2] = len;
    head = (at + need) % TX_RING_BYTES;
    this.txHead = head;
    Atomics.store(ctl, CTL_HEAD, head);
    // The writer is woken once, at the end of the tick (a wake-up per frame cost as much as the
    // writes it moved off this thread).
    this.startBurst();
  }

  private startBurst(): void {
    if (this.txBurst) return;
    this.txBurst = true;
    queueMicrotask(this.endBurst);
  }

  private writeNow(frame: Uint8Array): void {
    const c = libc();
    const n = c.write(this.fd, frame, frame.length);
    if (n < 0) {
      const e = c.errno();
      countDrop(this.statsData, e === c.errnoNames.EAGAIN ? 'tx-queue-full' : e === c.errnoNames.EIO ? 'tx-link-down' : 'write-error');
      return;
    }
    this.directFrames++;
    this.directBytes += frame.length;
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
    const writer = this.writer;
    this.writer = null;
    // The writer sends what is queued, then sees STOP on an empty ring and exits.
    Atomics.store(this.txCtl, CTL_STOP, 1);
    Atomics.notify(this.txCtl, CTL_HEAD);
    this.closing = (async () => {
      if (writer) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(() => void writer.terminate().then(() => resolve()), 1000);
          writer.once('exit', () => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
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
    const ctl = this.txCtl;
    const drops = { ...this.statsData.drops };
    const add = (reason: string, n: number) => {
      if (n > 0) drops[reason] = (drops[reason] ?? 0) + n;
    };
    add('tx-queue-full', Atomics.load(ctl, CTL_QUEUE_FULL));
    add('tx-link-down', Atomics.load(ctl, CTL_LINK_DOWN));
    add('write-error', Atomics.load(ctl, CTL_WRITE_ERROR));
    return {
      ...this.statsData,
      txFrames: this.directFrames + Atomics.load(ctl, CTL_FRAMES),
      txBytes: this.directBytes + Atomics.load(ctl, CTL_BYTES_HI) * 0x40000000 + Atomics.load(ctl, CTL_BYTES_LO),
      drops,
    };
  }
}

type WorkerMessage =
  | { buf: ArrayBuffer; lengths: ArrayBuffer; count: number; used: number }
  | { error: string; errno: number }
  | { stopped: true };
