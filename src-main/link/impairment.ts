/**
 * Seeded link impairments shared by the virtual link and the fault injector. One `ImpairedChannel`
 * is one direction: it takes frames in, decides their fate with the injected RandomSource, and
 * delivers the survivors later on the injected Clock. Same seed + same traffic = same run.
 *
 * Order per frame (as on a real link): tail-drop at the transmit queue, early congestion signal
 * (RED-like CE marking, RFC 3168 §5), serialisation at the bandwidth, loss (Bernoulli or
 * Gilbert–Elliott), corruption, propagation delay + jitter, reordering (an extra hold-back so later
 * frames overtake), duplication.
 */
import type { Clock } from '@shared/sim/clock';
import { internetChecksum } from '@shared/wire/checksum';
import type { RandomSource } from '@shared/sim/random';
import { countDrop, type DeviceStats } from './device';
import { RealClock } from './real-clock';

export interface GilbertElliott {
  /** P(good → bad) per frame. */
  pGoodToBad: number;
  /** P(bad → good) per frame. */
  pBadToGood: number;
  /** Loss probability in the good state (default 0). */
  lossGood?: number;
  /** Loss probability in the bad state (default 1). */
  lossBad?: number;
}

/**
 * Active queue management with ECN (RFC 3168 §5, RED-like): when a frame joins a transmit queue
 * already holding at least `minBytes`, the queue signals congestion with probability
 * maxProbability·(q − min)/(max − min), 1 from `maxBytes` on (instantaneous queue, not RED's
 * average, so a lab's numbers are easy to follow). An ECN-capable IPv4 packet (ECT(0)/ECT(1)) is
 * marked CE instead of being dropped; any other frame is dropped, as RFC 3168 §5 asks of a router
 * ("drop … if the packet is not ECN-capable"). Needs `bandwidthBps` (no queue without it).
 */
export interface CeMarking {
  minBytes: number;
  /** Default `minBytes` (a step: every frame above the threshold is signalled, DCTCP's K). */
  maxBytes?: number;
  /** Probability at `maxBytes` (default 1). */
  maxProbability?: number;
  /** Drop frames that are not ECN-capable when signalled (default true; false = leave them alone). */
  dropNotEct?: boolean;
}

export interface ImpairmentConfig {
  /** Bits per second; 0/undefined = infinitely fast (no serialisation delay, no queue). */
  bandwidthBps?: number;
  /** One-way propagation delay, ms. */
  delayMs?: number;
  /** Uniform extra delay in [0, jitterMs] per frame; may reorder frames, as in netem. */
  jitterMs?: number;
  /** Transmit queue limit in bytes (tail drop), only with a bandwidth. Default 64 KiB. */
  queueLimitBytes?: number;
  /** Transmit queue limit in frames (tail drop), only with a bandwidth. Default 1000. */
  queueLimitFrames?: number;
  /** Bernoulli loss probability per frame. */
  loss?: number;
  /** Burst loss; replaces `loss` when set. */
  gilbertElliott?: GilbertElliott;
  /** Probability a frame is delivered twice. */
  duplicate?: number;
  /** Probability a frame is held back by `reorderDelayMs` so that later frames overtake it. */
  reorder?: number;
  /** Hold-back for reordered frames, ms (default max(1, delayMs)). */
  reorderDelayMs?: number;
  /** Probability one random bit of the frame is flipped (beyond the 14-byte Ethernet header). */
  corrupt?: number;
  /** RED-like AQM that marks ECN-capable packets CE above a queue threshold (seeded); needs bandwidthBps. */
  ceMarking?: CeMarking;
}

export type Deliver = (frame: Uint8Array, causeId: number | undefined) => void;

const EMPTY_FRAME = new Uint8Array(0);

export function isTransparent(cfg: ImpairmentConfig): boolean {
  return !(
    cfg.bandwidthBps ||
    cfg.delayMs ||
    cfg.jitterMs ||
    cfg.loss ||
    cfg.gilbertElliott ||
    cfg.duplicate ||
    cfg.reorder ||
    cfg.corrupt
  );
}

function checkProbability(name: string, p: number | undefined): void {
  if (p !== undefined && !(p >= 0 && p <= 1)) throw new RangeError(`impairment ${name}: expected a probability in [0, 1], found ${p}`);
}

export function validateImpairment(cfg: ImpairmentConfig): void {
  checkProbability('loss', cfg.loss);
  checkProbability('duplicate', cfg.duplicate);
  checkProbability('reorder', cfg.reorder);
  checkProbability('corrupt', cfg.corrupt);
  if (cfg.gilbertElliott) {
    const g = cfg.gilbertElliott;
    checkProbability('gilbertElliott.pGoodToBad', g.pGoodToBad);
    checkProbability('gilbertElliott.pBadToGood', g.pBadToGood);
    checkProbability('gilbertElliott.lossGood', g.lossGood);
    checkProbability('gilbertElliott.lossBad', g.lossBad);
  }
  if (cfg.ceMarking) {
    const m = cfg.ceMarking;
    checkProbability('ceMarking.maxProbability', m.maxProbability);
    if (!(m.minBytes >= 0 && Number.isFinite(m.minBytes))) throw new RangeError(`impairment ceMarking.minBytes: expected a finite number >= 0, found ${m.minBytes}`);
    if (m.maxBytes !== undefined && !(m.maxBytes >= m.minBytes && Number.isFinite(m.maxBytes))) {
      throw new RangeError(`impairment ceMarking.maxBytes: expected a finite number >= minBytes (${m.minBytes}), found ${m.maxBytes}`);
    }
  }
  for (const k of ['bandwidthBps', 'delayMs', 'jitterMs', 'queueLimitBytes', 'queueLimitFrames', 'reorderDelayMs'] as const) {
    const v = cfg[k];
    if (v !== undefined && !(v >= 0 && Number.isFinite(v))) throw new RangeError(`impairment ${k}: expected a finite number >= 0, found ${v}`);
  }
}

export class ImpairedChannel {
  private txFreeAt = 0;
  /** Serialisation end times of frames still in the transmit queue (FIFO). */
  private readonly queueEnds: number[] = [];
  private readonly queueSizes: number[] = [];
  private queueHead = 0;
  private queuedBytes = 0;
  private geBad = false;

  constructor(
    private cfg: ImpairmentConfig,
    private readonly clock: Clock,
    private readonly random: RandomSource,
    private readonly deliver: Deliver,
    /** Counters: drops 'queue-full', 'loss'; extra 'duplicated', 'reordered', 'corrupted'. */
    readonly stats: DeviceStats,
    /**
     * Deliver at once (same call stack) when a frame has no delay at all. The fault injector
     * wants this (no extra event-loop turn on a TAP); the virtual link does not, so that two
     * stacks never re-enter each other.
     */
    private readonly immediateWhenUndelayed = false,
  ) {
    validateImpairment(cfg);
    stats.extra ??= {};
  }

  /** The copies this channel corrupted (made only once it corrupts one). */
  private corruptedFrames: WeakSet<Uint8Array> | null = null;

  /** True for a frame this channel delivered with a flipped bit (a receiver must not trust its checksums). */
  corrupted(frame: Uint8Array): boolean {
    return this.corruptedFrames !== null && this.corruptedFrames.has(frame);
  }

  configure(cfg: ImpairmentConfig): void {
    validateImpairment(cfg);
    this.cfg = cfg;
  }

  get config(): ImpairmentConfig {
    return this.cfg;
  }

  /** Bytes waiting in the transmit queue now. */
  queueBytes(): number {
    this.drainQueue(this.clock.now());
    return this.queuedBytes;
  }

  private drainQueue(now: number): void {
    while (this.queueHead < this.queueEnds.length && this.queueEnds[this.queueHead]! <= now) {
      this.queuedBytes -= this.queueSizes[this.queueHead]!;
      this.queueHead++;
    }
    if (this.queueHead > 1024 && this.queueHead * 2 > this.queueEnds.length) {
      this.queueEnds.splice(0, this.queueHead);
      this.queueSizes.splice(0, this.queueHead);
      this.queueHead = 0;
    }
  }

  submit(frame: Uint8Array, causeId: number | undefined): void {
    const cfg = this.cfg;
    const now = this.clock.now();
    let departAt = now;
    if (cfg.bandwidthBps) {
      this.drainQueue(now);
      const frames = this.queueEnds.length - this.queueHead;
      const limitBytes = cfg.queueLimitBytes ?? 65536;
      const limitFrames = cfg.queueLimitFrames ?? 1000;
      if (frames >= limitFrames || this.queuedBytes + frame.length > limitBytes) {
        countDrop(this.stats, 'queue-full');
        return;
      }
      if (cfg.ceMarking && this.signalCongestion(cfg.ceMarking)) {
        const marked = markCe(frame);
        if (marked) {
          frame = marked;
          this.stats.extra!['ce-marked'] = (this.stats.extra!['ce-marked'] ?? 0) + 1;
        } else if (marked === null && cfg.ceMarking.dropNotEct !== false) {
          countDrop(this.stats, 'aqm-not-ect');
          return;
        }
      }
      // Ethernet on the wire adds preamble+SFD 8, FCS 4, inter-frame gap 12 bytes.
      const wireBits = (frame.length + 24) * 8;
      const start = Math.max(now, this.txFreeAt);
      departAt = start + (wireBits * 1000) / cfg.bandwidthBps;
      this.txFreeAt = departAt;
      this.queueEnds.push(departAt);
      this.queueSizes.push(frame.length);
      this.queuedBytes += frame.length;
    }
    if (this.lose()) {
      countDrop(this.stats, 'loss');
      return;
    }
    let bytes = frame;
    if (cfg.corrupt && this.random.next() < cfg.corrupt && frame.length > 14) {
      bytes = frame.slice();
      const bit = 14 * 8 + this.random.int((frame.length - 14) * 8);
      bytes[bit >> 3]! ^= 1 << (bit & 7);
      this.stats.extra!.corrupted = (this.stats.extra!.corrupted ?? 0) + 1;
      (this.corruptedFrames ??= new WeakSet()).add(bytes);
    }
    let arriveAt = departAt + (cfg.delayMs ?? 0);
    if (cfg.jitterMs) arriveAt += this.random.next() * cfg.jitterMs;
    if (cfg.reorder && this.random.next() < cfg.reorder) {
      arriveAt += cfg.reorderDelayMs ?? Math.max(1, cfg.delayMs ?? 0);
      this.stats.extra!.reordered = (this.stats.extra!.reordered ?? 0) + 1;
    }
    const duplicate = cfg.duplicate !== undefined && cfg.duplicate > 0 && this.random.next() < cfg.duplicate;
    if (arriveAt <= now && !cfg.bandwidthBps && this.immediateWhenUndelayed) {
      this.deliver(bytes, causeId);
    } else {
      this.schedule(arriveAt, bytes, causeId);
    }
    if (duplicate) {
      this.stats.extra!.duplicated = (this.stats.extra!.duplicated ?? 0) + 1;
      const copy = bytes.slice();
      if (this.corrupted(bytes)) this.corruptedFrames!.add(copy);
      this.schedule(arriveAt, copy, causeId);
    }
  }

  // Frames in flight. Without jitter or reordering they arrive in the order they were sent, so
  // with a clock that can reserve firing positions (ManualClock) they wait in this FIFO and only
  // the head has a clock timer: a bulk transfer keeps a whole window in flight, and one heap entry
  // per frame made the clock's heap the largest single cost of an in-memory run. Every frame fires
  // at its own time and reserved position, so the order of all events is exactly as before.
  private readonly fifoFrames: Uint8Array[] = [];
  private readonly fifoCauses: (number | undefined)[] = [];
  private readonly fifoAt: number[] = [];
  private readonly fifoOrder: number[] = [];
  private fifoHead = 0;
  private fifoLastAt = -Infinity;

  private schedule(at: number, frame: Uint8Array, causeId: number | undefined): void {
    const clock = this.clock;
    if (clock instanceof RealClock) {
      this.scheduleWall(at, frame, causeId);
      return;
    }
    if (clock.reserveOrder === undefined || clock.setTimerInOrder === undefined || at < this.fifoLastAt) {
      // Overtaking an earlier frame (jitter, reordering, a shorter delay after configure()).
      clock.setTimer(at, () => this.deliver(frame, causeId));
      return;
    }
    this.fifoFrames.push(frame);
    this.fifoCauses.push(causeId);
    this.fifoAt.push(at);
    this.fifoOrder.push(clock.reserveOrder());
    this.fifoLastAt = at;
    if (this.fifoFrames.length - this.fifoHead === 1) this.armFifoHead();
  }

  private armFifoHead(): void {
    const h = this.fifoHead;
    this.clock.setTimerInOrder!(this.fifoAt[h]!, this.fifoOrder[h]!, this.onFifoHeadDue);
  }

  private readonly onFifoHeadDue = (): void => {
    for (;;) {
      const h = this.fifoHead++;
      const frame = this.fifoFrames[h]!;
      const causeId = this.fifoCauses[h];
      this.fifoFrames[h] = EMPTY_FRAME; // do not keep delivered frames alive
      if (this.fifoHead === this.fifoFrames.length) {
        this.fifoFrames.length = this.fifoCauses.length = this.fifoAt.length = this.fifoOrder.length = 0;
        this.fifoHead = 0;
        this.fifoLastAt = -Infinity;
        this.deliver(frame, causeId);
        return;
      }
      if (this.fifoHead > 1024 && this.fifoHead * 2 > this.fifoFrames.length) {
        const n = this.fifoHead;
        this.fifoFrames.splice(0, n);
        this.fifoCauses.splice(0, n);
        this.fifoAt.splice(0, n);
        this.fifoOrder.splice(0, n);
        this.fifoHead = 0;
      }
      this.deliver(frame, causeId);
      // The next frame at once when nothing else (timers set while delivering included) comes
      // before it in this run of the clock — exactly when its own timer would fire next — else
      // by its timer. A window of frames due together costs no timer object per frame.
      const n = this.fifoHead;
      if (this.clock.tryFireInOrder?.(this.fifoAt[n]!, this.fifoOrder[n]!) !== true) {
        this.armFifoHead();
        return;
      }
    }
  };

  // A wall clock (RealClock: one setTimeout per timer, its delay rounded up to whole ms) fires
  // separately armed timers out of order when their delays round differently, so frames that left
  // in order reached the kernel reordered (spurious fast retransmits and D-SACKs in the ECN
  // interop test). Frames scheduled in order wait here behind one timer, which delivers every
  // frame that is due when it fires; a frame meant to overtake (jitter, reordering) gets its own.
  private readonly wallFrames: Uint8Array[] = [];
  private readonly wallCauses: (number | undefined)[] = [];
  private readonly wallAt: number[] = [];
  private wallHead = 0;
  private wallLastAt = -Infinity;
  private wallArmed = false;

  private scheduleWall(at: number, frame: Uint8Array, causeId: number | undefined): void {
    if (at < this.wallLastAt) {
      this.clock.setTimer(at, () => this.deliver(frame, causeId));
      return;
    }
    this.wallFrames.push(frame);
    this.wallCauses.push(causeId);
    this.wallAt.push(at);
    this.wallLastAt = at;
    if (!this.wallArmed) {
      this.wallArmed = true;
      this.clock.setTimer(at, this.onWallDue);
    }
  }

  private readonly onWallDue = (): void => {
    const now = this.clock.now();
    while (this.wallHead < this.wallFrames.length && this.wallAt[this.wallHead]! <= now) {
      const h = this.wallHead++;
      const frame = this.wallFrames[h]!;
      this.wallFrames[h] = EMPTY_FRAME;
      this.deliver(frame, this.wallCauses[h]);
    }
    if (this.wallHead === this.wallFrames.length) {
      this.wallFrames.length = this.wallCauses.length = this.wallAt.length = 0;
      this.wallHead = 0;
      this.wallLastAt = -Infinity;
      this.wallArmed = false;
      return;
    }
    if (this.wallHead > 1024 && this.wallHead * 2 > this.wallFrames.length) {
      const n = this.wallHead;
      this.wallFrames.splice(0, n);
      this.wallCauses.splice(0, n);
      this.wallAt.splice(0, n);
      this.wallHead = 0;
    }
    this.clock.setTimer(this.wallAt[this.wallHead]!, this.onWallDue);
  };

  /** RED's marking decision on the instantaneous queue (bytes already waiting). */
  private signalCongestion(m: CeMarking): boolean {
    const q = this.queuedBytes;
    if (q < m.minBytes) return false;
    const max = m.maxBytes ?? m.minBytes;
    const pMax = m.maxProbability ?? 1;
    if (q >= max) return pMax >= 1 || this.random.next() < pMax;
    const p = (pMax * (q - m.minBytes)) / (max - m.minBytes);
    return this.random.next() < p;
  }

  private lose(): boolean {
    const ge = this.cfg.gilbertElliott;
    if (ge) {
      // Transition first, then lose with the probability of the state we are in.
      if (this.geBad) {
        if (this.random.next() < ge.pBadToGood) this.geBad = false;
      } else if (this.random.next() < ge.pGoodToBad) this.geBad = true;
      const p = this.geBad ? (ge.lossBad ?? 1) : (ge.lossGood ?? 0);
      return p > 0 && this.random.next() < p;
    }
    const p = this.cfg.loss;
    return p !== undefined && p > 0 && this.random.next() < p;
  }
}

/**
 * RFC 3168 §5: sets CE in the IPv4 header of an ECN-capable packet in an Ethernet frame. Returns a
 * marked copy (the sender may still own the original), `undefined` when the packet is already CE
 * (nothing to do, keep it), `null` when it is not ECN-capable (Not-ECT, not IPv4, or truncated).
 */
export function markCe(frame: Uint8Array): Uint8Array | null | undefined {
  let off = 12;
  if (frame.length < off + 2) return null;
  let type = (frame[off]! << 8) | frame[off + 1]!;
  if (type === 0x8100 && frame.length >= off + 6) {
    off += 4;
    type = (frame[off]! << 8) | frame[off + 1]!;
  }
  const ip = off + 2;
  if (type !== 0x0800 || frame.length < ip + 20 || frame[ip]! >> 4 !== 4) return null;
  const ihl = (frame[ip]! & 15) * 4;
  if (ihl < 20 || frame.length < ip + ihl) return null;
  const ecn = frame[ip + 1]! & 3;
  if (ecn === 3) return undefined;
  if (ecn === 0) return null;
  const out = frame.slice();
  out[ip + 1] = out[ip + 1]! | 3;
  // Recompute the header checksum (RFC 791; RFC 1624's incremental update gives the same value).
  out[ip + 10] = 0;
  out[ip + 11] = 0;
  const sum = internetChecksum(out, ip, ihl);
  out[ip + 10] = sum >> 8;
  out[ip + 11] = sum & 0xff;
  return out;
}
