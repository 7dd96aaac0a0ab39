/**
 * The fields the display filter knows, with Wireshark's names, and what one frame offers them.
 * `FilterFrame` is a plain value built where the frame's decode and analysis are (main); the
 * filter never touches bytes.
 */
import {
  A_ACK_LOST_PACKET,
  A_DUPLICATE_ACK,
  A_FAST_RETRANSMISSION,
  A_KEEP_ALIVE,
  A_KEEP_ALIVE_ACK,
  A_LOST_PACKET,
  A_OUT_OF_ORDER,
  A_REUSED_PORTS,
  A_RETRANSMISSION,
  A_SPURIOUS_RETRANSMISSION,
  A_WINDOW_FULL,
  A_WINDOW_UPDATE,
  A_ZERO_WINDOW,
  A_ZERO_WINDOW_PROBE,
  A_ZERO_WINDOW_PROBE_ACK,
} from '../analysis/types';

export interface FilterFrame {
  number: number;
  /** Original (wire) length. */
  len: number;
  /** Seconds since the first frame. */
  timeRelative: number;
  /** Protocols present, lower case: 'eth', 'arp', 'ip', 'tcp', 'udp', 'icmp', 'dns', 'http'. */
  protocols: readonly string[];
  info?: string;
  eth?: { src: string; dst: string; type: number };
  ip?: { src: number; dst: number; ttl: number; proto: number; len: number; id: number };
  arp?: { opcode: number; senderIp: number; targetIp: number };
  icmp?: { type: number; code: number };
  udp?: { srcPort: number; dstPort: number; length: number };
  tcp?: {
    srcPort: number;
    dstPort: number;
    /** TCP_* flag bits. */
    flags: number;
    /** Relative sequence / acknowledgment numbers when the analysis knows them, else raw. */
    seq: number;
    ack: number;
    seqRaw: number;
    ackRaw: number;
    len: number;
    /** Raw window field and the scaled window (when the analysis knows the scale). */
    windowValue: number;
    windowSize: number;
    /** tcp.stream, -1 when unknown. */
    stream: number;
    /** Analysis flag bits (src-shared/analysis/types A_*). */
    analysis: number;
  };
}

export type FieldType = 'uint' | 'bool' | 'ipv4' | 'mac' | 'string' | 'float' | 'proto';

export interface FieldDef {
  name: string;
  type: FieldType;
  max?: number;
  /** Values of the field in a frame; empty when the field is absent. */
  get(f: FilterFrame): readonly (number | string)[];
}

/** Wireshark's tcp.analysis.* names and the analysis bits they stand for (packet-tcp.c). */
export const ANALYSIS_FLAGS: readonly (readonly [name: string, bit: number])[] = [
  ['retransmission', A_RETRANSMISSION],
  ['fast_retransmission', A_FAST_RETRANSMISSION],
  ['spurious_retransmission', A_SPURIOUS_RETRANSMISSION],
  ['lost_segment', A_LOST_PACKET],
  ['ack_lost_segment', A_ACK_LOST_PACKET],
  ['keep_alive', A_KEEP_ALIVE],
  ['keep_alive_ack', A_KEEP_ALIVE_ACK],
  ['duplicate_ack', A_DUPLICATE_ACK],
  ['zero_window', A_ZERO_WINDOW],
  ['zero_window_probe', A_ZERO_WINDOW_PROBE],
  ['zero_window_probe_ack', A_ZERO_WINDOW_PROBE_ACK],
  ['out_of_order', A_OUT_OF_ORDER],
  ['window_update', A_WINDOW_UPDATE],
  ['window_full', A_WINDOW_FULL],
  ['reused_ports', A_REUSED_PORTS],
];

/**
 * Names of the analysis flags set in `bits`. Wireshark sets its "retransmission" bit on fast and
 * spurious retransmissions too, and so does the filter (`tcp.analysis.retransmission` matches
 * all three); the names list only the most specific one for colouring.
 */
export function analysisFlagNames(bits: number): string[] {
  const out: string[] = [];
  for (const [name, bit] of ANALYSIS_FLAGS) {
    if (!(bits & bit)) continue;
    if (name === 'retransmission' && bits & (A_FAST_RETRANSMISSION | A_SPURIOUS_RETRANSMISSION)) continue;
    out.push(name);
  }
  return out;
}

const none: readonly (number | string)[] = [];
const one = (v: number | string | undefined): readonly (number | string)[] => (v === undefined ? none : [v]);
const proto = (name: string): FieldDef => ({ name, type: 'proto', get: (f) => (f.protocols.includes(name) ? [1] : none) });
const tcpFlag = (name: string, bit: number): FieldDef => ({ name: `tcp.flags.${name}`, type: 'bool', get: (f) => (f.tcp ? [f.tcp.flags & bit ? 1 : 0] : none) });

const RETRANSMISSION_ANY = A_RETRANSMISSION | A_FAST_RETRANSMISSION | A_SPURIOUS_RETRANSMISSION;

const defs: FieldDef[] = [
  ...['eth', 'arp', 'ip', 'tcp', 'udp', 'icmp', 'dns', 'http'].map(proto),
  { name: 'frame.number', type: 'uint', get: (f) => [f.number] },
  { name: 'frame.len', type: 'uint', get: (f) => [f.len] },
  { name: 'frame.time_relative', type: 'float', get: (f) => [f.timeRelative] },
  { name: 'frame.info', type: 'string', get: (f) => one(f.info) },
  { name: 'eth.src', type: 'mac', get: (f) => one(f.eth?.src) },
  { name: 'eth.dst', type: 'mac', get: (f) => one(f.eth?.dst) },
  { name: 'eth.addr', type: 'mac', get: (f) => (f.eth ? [f.eth.src, f.eth.dst] : none) },
  { name: 'eth.type', type: 'uint', max: 0xffff, get: (f) => one(f.eth?.type) },
  { name: 'ip.src', type: 'ipv4', get: (f) => one(f.ip?.src) },
  { name: 'ip.dst', type: 'ipv4', get: (f) => one(f.ip?.dst) },
  { name: 'ip.addr', type: 'ipv4', get: (f) => (f.ip ? [f.ip.src, f.ip.dst] : none) },
  { name: 'ip.ttl', type: 'uint', max: 255, get: (f) => one(f.ip?.ttl) },
  { name: 'ip.proto', type: 'uint', max: 255, get: (f) => one(f.ip?.proto) },
  { name: 'ip.len', type: 'uint', max: 0xffff, get: (f) => one(f.ip?.len) },
  { name: 'ip.id', type: 'uint', max: 0xffff, get: (f) => one(f.ip?.id) },
  { name: 'arp.opcode', type: 'uint', max: 0xffff, get: (f) => one(f.arp?.opcode) },
  { name: 'arp.src.proto_ipv4', type: 'ipv4', get: (f) => one(f.arp?.senderIp) },
  { name: 'arp.dst.proto_ipv4', type: 'ipv4', get: (f) => one(f.arp?.targetIp) },
  { name: 'icmp.type', type: 'uint', max: 255, get: (f) => one(f.icmp?.type) },
  { name: 'icmp.code', type: 'uint', max: 255, get: (f) => one(f.icmp?.code) },
  { name: 'udp.srcport', type: 'uint', max: 0xffff, get: (f) => one(f.udp?.srcPort) },
  { name: 'udp.dstport', type: 'uint', max: 0xffff, get: (f) => one(f.udp?.dstPort) },
  { name: 'udp.port', type: 'uint', max: 0xffff, get: (f) => (f.udp ? [f.udp.srcPort, f.udp.dstPort] : none) },
  { name: 'udp.length', type: 'uint', max: 0xffff, get: (f) => one(f.udp?.length) },
  { name: 'tcp.srcport', type: 'uint', max: 0xffff, get: (f) => one(f.tcp?.srcPort) },
  { name: 'tcp.dstport', type: 'uint', max: 0xffff, get: (f) => one(f.tcp?.dstPort) },
  { name: 'tcp.port', type: 'uint', max: 0xffff, get: (f) => (f.tcp ? [f.tcp.srcPort, f.tcp.dstPort] : none) },
  { name: 'tcp.stream', type: 'uint', get: (f) => (f.tcp && f.tcp.stream >= 0 ? [f.tcp.stream] : none) },
  { name: 'tcp.seq', type: 'uint', max: 0xffffffff, get: (f) => one(f.tcp?.seq) },
  { name: 'tcp.ack', type: 'uint', max: 0xffffffff, get: (f) => one(f.tcp?.ack) },
  { name: 'tcp.seq_raw', type: 'uint', max: 0xffffffff, get: (f) => one(f.tcp?.seqRaw) },
  { name: 'tcp.ack_raw', type: 'uint', max: 0xffffffff, get: (f) => one(f.tcp?.ackRaw) },
  { name: 'tcp.len', type: 'uint', get: (f) => one(f.tcp?.len) },
  { name: 'tcp.window_size_value', type: 'uint', max: 0xffff, get: (f) => one(f.tcp?.windowValue) },
  { name: 'tcp.window_size', type: 'uint', get: (f) => one(f.tcp?.windowSize) },
  { name: 'tcp.flags', type: 'uint', max: 0x1ff, get: (f) => one(f.tcp?.flags) },
  tcpFlag('fin', 0x01),
  tcpFlag('syn', 0x02),
  tcpFlag('reset', 0x04),
  tcpFlag('push', 0x08),
  tcpFlag('ack', 0x10),
  tcpFlag('urg', 0x20),
  tcpFlag('ece', 0x40),
  tcpFlag('cwr', 0x80),
  { name: 'tcp.analysis.flags', type: 'proto', get: (f) => (f.tcp && f.tcp.analysis && analysisFlagNames(f.tcp.analysis).some((n) => n !== 'window_update') ? [1] : none) },
  ...ANALYSIS_FLAGS.map(
    ([name, bit]): FieldDef => ({
      name: `tcp.analysis.${name}`,
      type: 'proto',
      get: (f) => (f.tcp && f.tcp.analysis & (name === 'retransmission' ? RETRANSMISSION_ANY : bit) ? [1] : none),
    }),
  ),
];

/** Wireshark's short aliases people type (tcp.flags.rst is Wireshark's tcp.flags.reset). */
const aliases: [string, string][] = [
  ['tcp.flags.rst', 'tcp.flags.reset'],
  ['tcp.flags.psh', 'tcp.flags.push'],
];

export const FIELDS: ReadonlyMap<string, FieldDef> = (() => {
  const m = new Map<string, FieldDef>();
  for (const d of defs) m.set(d.name, d);
  for (const [alias, target] of aliases) m.set(alias, m.get(target)!);
  return m;
})();
