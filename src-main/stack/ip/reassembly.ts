/**
 * IPv4 reassembly (RFC 791 §3.2 "reassembly", with RFC 815's idea: a datagram is complete when
 * no hole is left between 0 and the end given by the last fragment). Fragments are kept as sorted,
 * non-overlapping intervals; a hole is a gap between neighbours.
 *
 * Overlaps: an exact duplicate (same offset and length) is ignored; any other overlap discards the
 * whole datagram, as Linux has done since 2018 and RFC 5722 requires for IPv6 — overlapping
 * fragments are how teardrop-style attacks and IDS evasion work, and no honest sender makes them.
 *
 * Each datagram has its own timer (default 30 s, Linux's net.ipv4.ipfrag_time; RFC 791 suggests
 * 15 s as a lower bound). Total buffered payload is bounded (default 4 MiB, Linux's
 * ipfrag_high_thresh); to admit a new fragment the oldest datagrams are evicted.
 */
import type { Clock, TimerHandle } from '@shared/sim/clock';

export interface FragmentInfo {
  src: number;
  dst: number;
  protocol: number;
  identification: number;
  /** Offset of this fragment's data in the datagram, bytes. */
  offset: number;
  moreFragments: boolean;
  data: Uint8Array;
  /** The fragment's IP header + first 8 data bytes; kept from fragment 0 for ICMP time exceeded. */
  quote: Uint8Array;
  ttl: number;
  dscp: number;
  ecn: number;
  causeId: number;
}

export interface ReassembledDatagram {
  src: number;
  dst: number;
  protocol: number;
  identification: number;
  payload: Uint8Array;
  ttl: number;
  dscp: number;
  ecn: number;
  /** The causeId of the fragment that completed it. */
  causeId: number;
  fragments: number;
}

export type ReassemblyResult =
  | { status: 'complete'; datagram: ReassembledDatagram }
  | { status: 'pending' }
  | { status: 'duplicate' }
  | { status: 'dropped'; reason: 'overlap' | 'bad-fragment-length' | 'oversize' | 'inconsistent-length' | 'memory' };

/** What the layer hears when a datagram times out or is evicted. */
export interface ExpiredDatagram {
  src: number;
  dst: number;
  protocol: number;
  identification: number;
  /** IP header + 8 bytes of fragment 0, or null if fragment 0 never arrived. */
  firstFragmentQuote: Uint8Array | null;
  causeId: number;
  reason: 'timeout' | 'memory';
}

interface Pending {
  key: string;
  src: number;
  dst: number;
  protocol: number;
  identification: number;
  pieces: { offset: number; data: Uint8Array }[];
  /** Total payload length once the last fragment (MF=0) arrived. */
  total: number | null;
  bytes: number;
  firstQuote: Uint8Array | null;
  ttl: number;
  dscp: number;
  ecn: number;
  causeId: number;
  timer: TimerHandle;
}

export interface ReassemblyOptions {
  timeoutMs?: number;
  maxBytes?: number;
  maxDatagrams?: number;
}

/** Largest IPv4 payload: 65535 − 20-byte minimum header. */
const MAX_PAYLOAD = 65515;

export class Reassembler {
  private readonly pending = new Map<string, Pending>();
  private heldBytes = 0;
  readonly timeoutMs: number;
  readonly maxBytes: number;
  readonly maxDatagrams: number;

  constructor(
    private readonly clock: Clock,
    private readonly onExpire: (d: ExpiredDatagram) => void,
    opts: ReassemblyOptions = {},
  ) {
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.maxBytes = opts.maxBytes ?? 4 * 1024 * 1024;
    this.maxDatagrams = opts.maxDatagrams ?? 1024;
  }

  /** Bytes of fragment data held now. */
  get bytesHeld(): number {
    return this.heldBytes;
  }

  get datagramsPending(): number {
    return this.pending.size;
  }

  add(f: FragmentInfo): ReassemblyResult {
    const len = f.data.length;
    if (f.offset + len > MAX_PAYLOAD) return { status: 'dropped', reason: 'oversize' };
    // Every fragment but the last carries a multiple of 8 data bytes (RFC 791 §3.2, "fragmentation").
    if (f.moreFragments && len % 8 !== 0) return { status: 'dropped', reason: 'bad-fragment-length' };
    if (f.moreFragments && len === 0) return { status: 'dropped', reason: 'bad-fragment-length' };

    const key = `${f.src}|${f.dst}|${f.protocol}|${f.identification}`;
    let p = this.pending.get(key);
    if (!p) {
      if (!this.makeRoom(len)) return { status: 'dropped', reason: 'memory' };
      p = {
        key,
        src: f.src,
        dst: f.dst,
        protocol: f.protocol,
        identification: f.identification,
        pieces: [],
        total: null,
        bytes: 0,
        firstQuote: null,
        ttl: f.ttl,
        dscp: f.dscp,
        ecn: f.ecn,
        causeId: f.causeId,
        timer: null as unknown as TimerHandle,
      };
      const created = p;
      p.timer = this.clock.setTimer(this.clock.now() + this.timeoutMs, () => this.expire(created, 'timeout'));
      this.pending.set(key, p);
    } else if (!this.makeRoom(len, p)) {
      return { status: 'dropped', reason: 'memory' };
    }

    const end = f.offset + len;
    if (!f.moreFragments) {
      if ((p.total !== null && p.total !== end) || p.pieces.some((x) => x.offset + x.data.length > end)) {
        this.discard(p);
        return { status: 'dropped', reason: 'inconsistent-length' };
      }
      p.total = end;
    } else if (p.total !== null && end > p.total) {
      this.discard(p);
      return { status: 'dropped', reason: 'inconsistent-length' };
    }

    // Find the insertion point and check neighbours for overlap.
    let i = 0;
    while (i < p.pieces.length && p.pieces[i]!.offset < f.offset) i++;
    const prev = p.pieces[i - 1];
    const next = p.pieces[i];
    if (next && next.offset === f.offset && next.data.length === len) return { status: 'duplicate' };
    if ((prev && prev.offset + prev.data.length > f.offset) || (next && next.offset < end)) {
      this.discard(p);
      return { status: 'dropped', reason: 'overlap' };
    }
    // Copy: the frame's buffer may be a large receive batch we must not pin.
    p.pieces.splice(i, 0, { offset: f.offset, data: f.data.slice() });
    p.bytes += len;
    this.heldBytes += len;
    if (f.offset === 0) {
      p.firstQuote = f.quote.slice();
      // The first fragment's header fields describe the datagram (RFC 791 reassembly step).
      p.ttl = f.ttl;
      p.dscp = f.dscp;
      p.ecn = f.ecn;
    }

    if (p.total === null) return { status: 'pending' };
    let covered = 0;
    for (const piece of p.pieces) {
      if (piece.offset !== covered) return { status: 'pending' };
      covered += piece.data.length;
    }
    if (covered !== p.total) return { status: 'pending' };

    const payload = new Uint8Array(p.total);
    for (const piece of p.pieces) payload.set(piece.data, piece.offset);
    const fragments = p.pieces.length;
    this.discard(p);
    return {
      status: 'complete',
      datagram: {
        src: p.src,
        dst: p.dst,
        protocol: p.protocol,
        identification: p.identification,
        payload,
        ttl: p.ttl,
        dscp: p.dscp,
        ecn: p.ecn,
        causeId: f.causeId,
        fragments,
      },
    };
  }

  /** Evicts the oldest datagrams (Map keeps insertion order) until `len` more bytes fit. */
  private makeRoom(len: number, keep?: Pending): boolean {
    if (len > this.maxBytes) return false;
    for (const p of this.pending.values()) {
      if (this.heldBytes + len <= this.maxBytes && (keep || this.pending.size < this.maxDatagrams)) break;
      if (p === keep) continue;
      this.expire(p, 'memory');
    }
    return this.heldBytes + len <= this.maxBytes;
  }

  private discard(p: Pending): void {
    this.clock.clearTimer(p.timer);
    this.pending.delete(p.key);
    this.heldBytes -= p.bytes;
  }

  private expire(p: Pending, reason: 'timeout' | 'memory'): void {
    if (this.pending.get(p.key) !== p) return;
    this.discard(p);
    this.onExpire({
      src: p.src,
      dst: p.dst,
      protocol: p.protocol,
      identification: p.identification,
      firstFragmentQuote: p.firstQuote,
      causeId: p.causeId,
      reason,
    });
  }

  /** Drops everything (stack shutdown). */
  clear(): void {
    for (const p of [...this.pending.values()]) this.discard(p);
  }
}
