import { emitIpv4, IPPROTO_TCP } from '../../../src-shared/wire/ipv4';
import { emitTcp, type TcpOption } from '../../../src-shared/wire/tcp';
import { parseIpv4 } from '../../../src-shared/wire/address';
import type { TcpSegmentInput } from '../../../src-shared/analysis/types';
import { writePcapFile } from '../../../src-main/capture/writer';
import { LINKTYPE_RAW, type WritableRecord } from '../../../src-main/capture/types';

/**
 * Scripted TCP traces for tests, written with relative sequence numbers ("A sends 1448 bytes at
 * seq 1") and turned into analysis inputs or into a raw-IPv4 pcap that tshark can read.
 */
export interface Endpoint {
  ip: string;
  port: number;
  isn: number;
}

export interface SegmentSpec {
  /** Milliseconds since the trace began. */
  t: number;
  from: 'a' | 'b';
  /** Flags as letters: S SYN, A ACK, F FIN, R RST, P PSH, E ECE, C CWR. */
  flags: string;
  seq: number;
  ack?: number;
  len?: number;
  win?: number;
  ws?: number;
  mss?: number;
  sackPermitted?: boolean;
  /** SACK blocks in the receiver's relative numbers. */
  sack?: [number, number][];
  /** Timestamps option [TSval, TSecr] (RFC 7323). */
  ts?: [number, number];
}

const LETTERS: Record<string, number> = { F: 0x01, S: 0x02, R: 0x04, P: 0x08, A: 0x10, E: 0x40, C: 0x80 };

export class Trace {
  readonly specs: SegmentSpec[] = [];
  constructor(
    readonly a: Endpoint = { ip: '192.0.2.1', port: 40000, isn: 1000 },
    readonly b: Endpoint = { ip: '192.0.2.2', port: 80, isn: 5000 },
    readonly startSec = 1_700_000_000,
  ) {}

  add(...s: SegmentSpec[]): this {
    this.specs.push(...s);
    return this;
  }

  /** The usual three-way handshake at t=0, 1 and 2 ms with MSS 1460, WS 7, SACK permitted. */
  handshake(opts: { ws?: [number | undefined, number | undefined]; win?: number } = {}): this {
    const [wa, wb] = opts.ws ?? [7, 7];
    return this.add(
      { t: 0, from: 'a', flags: 'S', seq: 0, win: 64240, mss: 1460, ws: wa, sackPermitted: true },
      { t: 1, from: 'b', flags: 'SA', seq: 0, ack: 1, win: 65160, mss: 1460, ws: wb, sackPermitted: true },
      { t: 2, from: 'a', flags: 'A', seq: 1, ack: 1, win: opts.win ?? 502 },
    );
  }

  private raw(spec: SegmentSpec) {
    const from = spec.from === 'a' ? this.a : this.b;
    const to = spec.from === 'a' ? this.b : this.a;
    let flags = 0;
    for (const ch of spec.flags) flags |= LETTERS[ch] ?? 0;
    const options: TcpOption[] = [];
    if (spec.mss !== undefined) options.push({ kind: 'mss', value: spec.mss });
    if (spec.sackPermitted) options.push({ kind: 'sack-permitted' });
    if (spec.ws !== undefined) options.push({ kind: 'wscale', shift: spec.ws });
    if (spec.ts) options.push({ kind: 'timestamps', tsval: spec.ts[0], tsecr: spec.ts[1] });
    if (spec.sack) {
      options.push({
        kind: 'sack',
        blocks: spec.sack.map(([l, r]) => ({ left: ((to.isn + l) >>> 0) as never, right: ((to.isn + r) >>> 0) as never })),
      });
    }
    return {
      from,
      to,
      flags,
      options,
      seq: (from.isn + spec.seq) >>> 0,
      ack: spec.ack === undefined ? 0 : (to.isn + spec.ack) >>> 0,
      win: spec.win ?? 1000,
      len: spec.len ?? 0,
    };
  }

  inputs(): TcpSegmentInput[] {
    return this.specs.map((spec, k) => {
      const r = this.raw(spec);
      const ms = spec.t;
      const sackBlocks = spec.sack?.flatMap(([l, rr]) => [(r.to.isn + l) >>> 0, (r.to.isn + rr) >>> 0]);
      return {
        frame: k + 1,
        tsSec: this.startSec + Math.floor(ms / 1000),
        tsNsec: Math.round((ms % 1000) * 1e6),
        fileOffset: -1,
        srcIp: parseIpv4(r.from.ip),
        dstIp: parseIpv4(r.to.ip),
        srcPort: r.from.port,
        dstPort: r.to.port,
        seq: r.seq,
        ack: r.ack,
        flags: r.flags,
        window: r.win,
        payloadLength: r.len,
        ipEcn: 0,
        mss: spec.mss,
        wscale: spec.ws,
        sackPermitted: spec.sackPermitted,
        sackBlocks,
        tsval: spec.ts?.[0],
        tsecr: spec.ts?.[1],
      };
    });
  }

  records(): WritableRecord[] {
    return this.specs.map((spec) => {
      const r = this.raw(spec);
      const src = parseIpv4(r.from.ip);
      const dst = parseIpv4(r.to.ip);
      const tcp = emitTcp(
        { srcPort: r.from.port, dstPort: r.to.port, seq: r.seq, ack: r.ack, flags: r.flags, window: r.win, options: r.options, payload: new Uint8Array(r.len) },
        src,
        dst,
      );
      const data = emitIpv4({ src, dst, protocol: IPPROTO_TCP, ttl: 64, dontFragment: true }, tcp);
      const ms = spec.t;
      return { data, tsSec: this.startSec + Math.floor(ms / 1000), tsNsec: Math.round((ms % 1000) * 1e6) * 1 };
    });
  }

  writePcap(path: string): string {
    writePcapFile(path, this.records(), { linkType: LINKTYPE_RAW, resolution: 'ns' });
    return path;
  }
}

/** A bulk transfer from A: `n` full segments of `mss` bytes starting at relative seq 1. */
export function bulk(t0: number, n: number, mss = 1448, gapMs = 0.01): SegmentSpec[] {
  const out: SegmentSpec[] = [];
  for (let i = 0; i < n; i++) out.push({ t: t0 + i * gapMs, from: 'a', flags: 'A', seq: 1 + i * mss, ack: 1, len: mss, win: 502 });
  return out;
}
