/**
 * tcpdump-compatible one-line printing: the text Debian's tcpdump 4.99 prints with `-n` for
 * Ethernet (802.1Q), ARP, IPv4, ICMP, UDP, DNS, TCP and HTTP, under `-v…-vvv`, `-e`, `-t…-ttttt`,
 * `-#`, `-S`, `-q`, `-x`/`-xx`/`-X`/`-XX`. See docs/decode.md for the supported set and the known
 * differences (each asserted in tests/format).
 *
 * Why this walks the frame's bytes itself instead of formatting `decodePacket`'s values: tcpdump's
 * output for a cut or damaged packet is defined by exactly where its byte walk stops — it prints
 * every field it could read and then `[|proto]` (e.g. `options [nop,nop,TS [|tcp]>`), and a few
 * fields are printed from header bytes the value layer validates away. So this module mirrors
 * tcpdump's printers' order of reads, with the same two ways of stopping: a printer's own bounds
 * check ("soft" truncation, the link header length is kept for `-x`) and a failed fetch
 * (tcpdump's longjmp, after which `-x` dumps the whole frame). Checksums and address formatting
 * come from `@shared/wire`.
 *
 * tcpdump keeps state across packets (relative TCP sequence numbers, `-ttt` deltas, `-#`), so
 * the printer is a class fed packets in file order.
 */
import { internetChecksum, pseudoHeaderSum } from '@shared/wire/checksum';
import { macToString } from '@shared/wire/address';
import type { DecodedPacket } from '@shared/wire/decode';
import { hexAsciiDump, hexDump } from './hexdump';
import { printDomain, type DnsPrinterHost } from './tcpdump-dns';

export interface TcpdumpFlags {
  /** -v count. */
  verbose?: number;
  /** -e: print the link-level header. */
  linkHeader?: boolean;
  /** Number of -t: 0 = default clock time, 1 = none, 2 = epoch, 3 = delta, 4 = date, 5 = since first. */
  timestamp?: number;
  /** -#: frame numbers. */
  packetNumber?: boolean;
  /** -S: absolute TCP sequence numbers. */
  absoluteSeq?: boolean;
  /** -q count. */
  quiet?: number;
  /** -x count (2 = include the link header). */
  hex?: number;
  /** -X count (2 = include the link header). */
  hexAscii?: number;
}

export interface PrintablePacket {
  linkType: number;
  /** Captured bytes. */
  data: Uint8Array;
  /** Length on the wire. */
  originalLength: number;
  tsSec: number;
  /** Microseconds within the second (tcpdump's default precision). */
  tsUsec: number;
}

/** Seconds east of UTC at a given instant (the CLI passes the local zone; tests use UTC). */
export type TimeZoneOffset = (epochSec: number) => number;

const LINKTYPE_NULL = 0;
const LINKTYPE_ETHERNET = 1;
const LINKTYPE_RAW = 101;
const LINKTYPE_LOOP = 108;
const LINKTYPE_LINUX_SLL = 113;
const LINKTYPE_IPV4 = 228;
const LINKTYPE_LINUX_SLL2 = 276;

/** tcpdump's MAXIMUM_SNAPLEN: larger record lengths are reported as an invalid header. */
const MAXIMUM_SNAPLEN = 262144;

/** printFirstLine decodes ASCII lines at least this long with asciiDecoder (below, apply is faster). */
const ASCII_DECODE_MIN = 32;
const asciiDecoder = new TextDecoder();

/** Thrown (as a constant, no stack) when a fetch runs past the captured bytes: tcpdump's longjmp. */
const TRUNC = { truncated: true } as const;

const ETHERTYPES: Record<number, string> = {
  0x0800: 'IPv4',
  0x0806: 'ARP',
  0x0842: 'Wake-on-LAN',
  0x8035: 'Reverse ARP',
  0x809b: 'Appletalk',
  0x80f3: 'Appletalk ARP',
  0x8100: '802.1Q',
  0x86dd: 'IPv6',
  0x8808: 'MACControl',
  0x8809: 'Slow Protocols',
  0x8847: 'MPLS unicast',
  0x8848: 'MPLS multicast',
  0x8863: 'PPPoE D',
  0x8864: 'PPPoE S',
  0x888e: 'EAPOL',
  0x88a8: '802.1Q-QinQ',
  0x88cc: 'LLDP',
  0x88e5: '802.1AE MACsec',
  0x88f7: 'PTP',
  0x8906: 'FCoE',
  0x9000: 'Loopback',
  0x9100: '802.1Q-9100',
  0x9200: '802.1Q-9200',
};

const IPPROTOS: Record<number, string> = {
  0: 'IPv6 Hop-by-Hop',
  1: 'ICMP',
  2: 'IGMP',
  4: 'IPIP',
  6: 'TCP',
  8: 'EGP',
  9: 'IGRP',
  17: 'UDP',
  33: 'DCCP',
  41: 'IPv6',
  43: 'Routing',
  44: 'Fragment',
  46: 'RSVP',
  47: 'GRE',
  50: 'ESP',
  51: 'AH',
  58: 'ICMPv6',
  59: 'NONE',
  60: 'Destination Options',
  88: 'EIGRP',
  89: 'OSPF',
  103: 'PIM',
  108: 'Compressed IP',
  112: 'VRRP',
  115: 'L2TP',
  132: 'SCTP',
  136: 'UDPLite',
  137: 'MPLS',
};

/** Dense form of IPPROTOS for the -v header line. */
const IPPROTO_NAMES: (string | undefined)[] = [];
for (let i = 0; i < 256; i++) IPPROTO_NAMES.push(IPPROTOS[i]);

const ICMP_UNREACH: Record<number, string> = {
  0: 'net %s unreachable',
  1: 'host %s unreachable',
  5: '%s unreachable - source route failed',
  6: 'net %s unreachable - unknown',
  7: 'host %s unreachable - unknown',
  8: '%s unreachable - source host isolated',
  9: 'net %s unreachable - admin prohibited',
  10: 'host %s unreachable - admin prohibited',
  11: 'net %s unreachable - tos prohibited',
  12: 'host %s unreachable - tos prohibited',
  13: 'host %s unreachable - admin prohibited filter',
  14: 'host %s unreachable - host precedence violation',
  15: 'host %s unreachable - precedence cutoff',
};

const ICMP_REDIRECT: Record<number, string> = {
  0: 'redirect %s to net %s',
  1: 'redirect %s to host %s',
  2: 'redirect-tos %s to net %s',
  3: 'redirect-tos %s to host %s',
};

const ICMP_NAMES: Record<number, string> = {
  0: 'echo reply',
  4: 'source quench',
  8: 'echo request',
  10: 'router solicitation',
  13: 'time stamp request',
  14: 'time stamp reply',
  15: 'information request',
  16: 'information reply',
  17: 'address mask request',
};

const TCP_OPTION_NAME_LIST: Record<number, string> = {
  0: 'eol',
  1: 'nop',
  2: 'mss',
  3: 'wscale',
  4: 'sackOK',
  5: 'sack',
  6: 'echo',
  7: 'echoreply',
  8: 'TS',
  11: 'cc',
  12: 'ccnew',
  13: '',
  19: 'md5',
  20: 'scps',
  28: 'uto',
  29: 'tcp-ao',
  30: 'mptcp',
  34: 'tfo',
  254: 'exp',
};

/** Dense (array) form of the table above: a hot lookup on every TCP header with options. */
const TCP_OPTION_NAMES: (string | undefined)[] = [];
for (let i = 0; i < 256; i++) TCP_OPTION_NAMES.push(TCP_OPTION_NAME_LIST[i]);

const IP_OPTION_NAMES: Record<number, string> = {
  0: 'EOL',
  1: 'NOP',
  68: 'timestamp',
  130: 'security',
  7: 'RR',
  137: 'SSRR',
  131: 'LSRR',
  148: 'RA',
  82: 'traceroute',
};

/** Request methods tcpdump's HTTP printer recognises (print-http.c httpcmds). */
const HTTP_METHODS = new Set(
  [
    'GET', 'PUT', 'COPY', 'HEAD', 'LOCK', 'MOVE', 'POLL', 'POST', 'BCOPY', 'BMOVE', 'MKCOL', 'TRACE',
    'LABEL', 'MERGE', 'DELETE', 'SEARCH', 'UNLOCK', 'REPORT', 'UPDATE', 'NOTIFY', 'BDELETE', 'CONNECT',
    'OPTIONS', 'CHECKIN', 'PROPFIND', 'CHECKOUT', 'SUBSCRIBE', 'PROPPATCH', 'BPROPFIND', 'BPROPPATCH',
    'UNCHECKOUT', 'MKACTIVITY', 'MKWORKSPACE', 'UNSUBSCRIBE', 'RPC_CONNECT', 'VERSION-CONTROL',
    'BASELINE-CONTROL',
  ].map((m) => m.toUpperCase()),
);

const TCP_FLAG_CHARS: [number, string][] = [
  [0x01, 'F'],
  [0x02, 'S'],
  [0x04, 'R'],
  [0x08, 'P'],
  [0x10, '.'],
  [0x20, 'U'],
  [0x40, 'E'],
  [0x80, 'W'],
];
const TCP_FLAGS: string[] = [];
for (let f = 0; f < 256; f++) {
  let s = '';
  for (const [bit, ch] of TCP_FLAG_CHARS) if (f & bit) s += ch;
  TCP_FLAGS.push(s === '' ? 'none' : s);
}

const PAD2: string[] = [];
for (let i = 0; i < 100; i++) PAD2.push(i < 10 ? `0${i}` : String(i));

const HEX_DIGITS = Uint8Array.from([...'0123456789abcdef'].map((c) => c.charCodeAt(0)));

const HEX_CHARS = [...'0123456789abcdef'];

/** bittok2str(ip_frag_values) for the three flag bits (RF, DF, MF) in header order. */
const IP_FLAG_TEXT: string[] = [];
for (let bits = 0; bits < 8; bits++) {
  const parts: string[] = [];
  if (bits & 1) parts.push('+');
  if (bits & 2) parts.push('DF');
  if (bits & 4) parts.push('rsvd');
  IP_FLAG_TEXT.push(parts.length ? parts.join(', ') : 'none');
}

const PAD3: string[] = [];
for (let i = 0; i < 1000; i++) PAD3.push(String(i).padStart(3, '0'));

/** Microseconds as six digits (the hot path of every timestamp). */
function pad6(n: number): string {
  if (n >= 0 && n < 1_000_000) return PAD3[Math.floor(n / 1000)]! + PAD3[n % 1000]!;
  const s = String(n);
  return s.length >= 6 ? s : '000000'.slice(s.length) + s;
}

function hex4(n: number): string {
  const s = n.toString(16);
  return s.length >= 4 ? s : '0000'.slice(s.length) + s;
}

/** tcpdump's in_cksum_shouldbe(): the checksum field value that would have made the sum zero. */
function checksumShouldBe(field: number, computed: number): number {
  // `computed` is the complemented sum over the data including the field (0 when right).
  // In ones'-complement arithmetic -(a + b) = -a + -b, so the right value is field + computed.
  let s = field + computed;
  s = (s & 0xffff) + (s >>> 16);
  s = (s & 0xffff) + (s >>> 16);
  return s;
}

function civil(days: number): [number, number, number] {
  // Howard Hinnant's days-from-civil inverse; proleptic Gregorian.
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  return [yoe + era * 400 + (m <= 2 ? 1 : 0), m, d];
}

/**
 * tcpdump's tcp_seq_hash: per conversation (in its collating order: addresses and ports) the
 * initial sequence and acknowledgement numbers. An open-addressing table over typed arrays,
 * because a lookup happens for every TCP segment with ACK set.
 */
class SeqTable {
  private keys = new Uint32Array(3 * 1024);
  private used = new Uint8Array(1024);
  /** seq, ack per slot. */
  vals = new Uint32Array(2 * 1024);
  private mask = 1023;
  private count = 0;

  /** The slot of (a, b, ports), or -1 - (the free slot where it would go). */
  find(a: number, b: number, ports: number): number {
    let i = (Math.imul(a, 0x9e3779b1) ^ Math.imul(b, 0x85ebca6b) ^ Math.imul(ports, 0xc2b2ae35)) & this.mask;
    const keys = this.keys;
    for (;;) {
      if (this.used[i] === 0) return -1 - i;
      const k = 3 * i;
      if (keys[k] === a && keys[k + 1] === b && keys[k + 2] === ports) return i;
      i = (i + 1) & this.mask;
    }
  }

  /** Claims the free slot `-1 - found` for the key; returns its index (after growing if needed). */
  insert(free: number, a: number, b: number, ports: number): number {
    if ((this.count + 1) * 2 > this.mask + 1) {
      this.grow();
      free = this.find(a, b, ports);
    }
    const i = -1 - free;
    this.used[i] = 1;
    this.keys[3 * i] = a;
    this.keys[3 * i + 1] = b;
    this.keys[3 * i + 2] = ports;
    this.count++;
    return i;
  }

  private grow(): void {
    const oldKeys = this.keys;
    const oldUsed = this.used;
    const oldVals = this.vals;
    const size = (this.mask + 1) * 2;
    this.keys = new Uint32Array(3 * size);
    this.used = new Uint8Array(size);
    this.vals = new Uint32Array(2 * size);
    this.mask = size - 1;
    this.count = 0;
    for (let j = 0; j < oldUsed.length; j++) {
      if (oldUsed[j] === 0) continue;
      const a = oldKeys[3 * j]!;
      const b = oldKeys[3 * j + 1]!;
      const ports = oldKeys[3 * j + 2]!;
      const i = this.insert(this.find(a, b, ports), a, b, ports);
      this.vals[2 * i] = oldVals[2 * j]!;
      this.vals[2 * i + 1] = oldVals[2 * j + 1]!;
    }
  }
}

export class TcpdumpPrinter implements DnsPrinterHost {
  // Flags, flattened for the hot path.
  readonly vflag: number;
  readonly eflag: boolean;
  readonly tflag: number;
  readonly qflag: number;
  private readonly numberFlag: boolean;
  private readonly sflag: boolean;
  private readonly xflag: number;
  private readonly bigXflag: number;
  private readonly suppressDefaultPrint: boolean;
  private readonly tzOffset: TimeZoneOffset;

  // Output: ASCII bytes appended straight into one growing buffer (no per-field strings).
  private out = new Uint8Array(1 << 16);
  private pos = 0;

  // Per-packet state (tcpdump's netdissect_options).
  /** The frame. */
  d: Uint8Array = new Uint8Array(0);
  /** tcpdump's ndo_snapend: first byte index that may not be read. */
  end = 0;
  /** tcpdump's ndo_protocol: named in `[|proto]`. */
  proto = '';
  private llHdrLen = 0;

  /** Exceptions other than truncation caught while printing (a printer bug; should stay 0). */
  internalErrors = 0;

  // State across packets.
  private packets = 0;
  private refSec = 0;
  private refUsec = 0;
  private refSet = false;
  private readonly seqs = new SeqTable();
  private lastClockSec = -1;
  private lastClock = '';
  private readonly ipCache = new Map<number, string>();

  constructor(flags: TcpdumpFlags = {}, tzOffset: TimeZoneOffset = () => 0) {
    this.vflag = flags.verbose ?? 0;
    this.eflag = flags.linkHeader ?? false;
    this.tflag = flags.timestamp ?? 0;
    this.qflag = flags.quiet ?? 0;
    this.numberFlag = flags.packetNumber ?? false;
    this.sflag = flags.absoluteSeq ?? false;
    this.xflag = flags.hex ?? 0;
    this.bigXflag = flags.hexAscii ?? 0;
    this.suppressDefaultPrint = this.xflag > 0 || this.bigXflag > 0 || this.qflag > 0;
    this.tzOffset = tzOffset;
  }

  /** The text tcpdump prints for this packet, with its trailing newline. */
  print(p: PrintablePacket): string {
    return this.printFrame(p.linkType, p.data, p.originalLength, p.tsSec, p.tsUsec);
  }

  /**
   * For callers that already hold `decodePacket`'s result: the line for that frame. The text is
   * made from the bytes (see the module comment); the decoded packet supplies link type and
   * wire length.
   */
  printDecoded(decoded: DecodedPacket, bytes: Uint8Array, tsSec: number, tsUsec: number): string {
    return this.printFrame(decoded.linkType, bytes, decoded.origLength, tsSec, tsUsec);
  }

  /** `print` without the argument object. */
  printFrame(linkType: number, data: Uint8Array, originalLength: number, tsSec: number, tsUsec: number): string {
    const start = this.pos;
    this.append(linkType, data, originalLength, tsSec, tsUsec);
    let text = '';
    for (let i = start; i < this.pos; i += 8192) {
      // apply() takes the typed array as an array-like: no copy into a JS array.
      text += String.fromCharCode.apply(null, this.out.subarray(i, Math.min(i + 8192, this.pos)) as unknown as number[]);
    }
    this.pos = start;
    return text;
  }

  /**
   * The first line `printFrame` would return, without its newline, starting `skip(text, start,
   * end)` bytes in: one flat string, and no string for the rest (the Packets table's Info column,
   * made for every frame a session reads). `text[start, end)` is the line's bytes, one per char.
   */
  printFirstLine(
    linkType: number,
    data: Uint8Array,
    originalLength: number,
    tsSec: number,
    tsUsec: number,
    skip: (text: Uint8Array, start: number, end: number) => number,
  ): string {
    const start = this.pos;
    this.append(linkType, data, originalLength, tsSec, tsUsec);
    const b = this.out;
    let end = b.indexOf(0x0a, start);
    if (end < 0 || end > this.pos) end = this.pos;
    const from = start + skip(b, start, end);
    let ascii = end - from >= ASCII_DECODE_MIN;
    for (let i = from; ascii && i < end; i++) if (b[i]! >= 0x80) ascii = false;
    let text = '';
    if (ascii) {
      // For ASCII, UTF-8 decoding gives the same text; the native decoder is about twice as fast
      // as fromCharCode.apply over a typed array once a line is longer than a few dozen bytes.
      text = asciiDecoder.decode(b.subarray(from, end));
    } else {
      for (let i = from; i < end; i += 8192) {
        text += String.fromCharCode.apply(null, b.subarray(i, Math.min(i + 8192, end)) as unknown as number[]);
      }
    }
    this.pos = start;
    return text;
  }

  /** Bytes of printed text waiting in the output buffer (see `takeOutput`). */
  get pendingBytes(): number {
    return this.pos;
  }

  /** The printed text so far as ASCII bytes (a copy), and an empty buffer for what follows. */
  takeOutput(): Uint8Array {
    const bytes = this.out.slice(0, this.pos);
    this.pos = 0;
    return bytes;
  }

  /** Appends a string of ASCII characters to the output. */
  put(s: string): void {
    const n = s.length;
    if (this.pos + n > this.out.length) this.grow(n);
    const b = this.out;
    let p = this.pos;
    for (let i = 0; i < n; i++) b[p++] = s.charCodeAt(i);
    this.pos = p;
  }

  /** Appends a non-negative integer in decimal without making a string. */
  num(n: number): void {
    if (!(n >= 0 && n < 1e10)) {
      this.put(String(n));
      return;
    }
    if (this.pos + 10 > this.out.length) this.grow(10);
    const b = this.out;
    const digits =
      n < 100000
        ? n < 100
          ? n < 10
            ? 1
            : 2
          : n < 1000
            ? 3
            : n < 10000
              ? 4
              : 5
        : n < 10000000
          ? n < 1000000
            ? 6
            : 7
          : n < 100000000
            ? 8
            : n < 1000000000
              ? 9
              : 10;
    let i = this.pos + digits;
    this.pos = i;
    if (n <= 0x7fffffff) {
      let q = n | 0;
      while (q >= 10) {
        const t = (q / 10) | 0;
        b[--i] = 48 + q - t * 10;
        q = t;
      }
      b[--i] = 48 + q;
    } else {
      let q = n;
      while (q >= 10) {
        const t = Math.floor(q / 10);
        b[--i] = 48 + q - t * 10;
        q = t;
      }
      b[--i] = 48 + q;
    }
  }

  /** Six zero-padded digits (microseconds). */
  private usec6(n: number): void {
    if (n < 0 || n >= 1_000_000) {
      this.put(pad6(n));
      return;
    }
    if (this.pos + 6 > this.out.length) this.grow(6);
    const b = this.out;
    const p = this.pos;
    for (let i = 5; i >= 0; i--) {
      const r = n % 10;
      b[p + i] = 48 + r;
      n = (n - r) / 10;
    }
    this.pos = p + 6;
  }

  /** `a.b.c.d.sport > e.f.g.h.dport: ` of a TCP or UDP header inside IPv4. */
  private endpoints(ipOff: number, sport: number, dport: number): void {
    this.ipDigits(ipOff + 12);
    this.put('.');
    this.num(sport);
    this.put(' > ');
    this.ipDigits(ipOff + 16);
    this.put('.');
    this.num(dport);
    this.put(': ');
  }

  /** Lowercase hex without padding (printf %x). */
  private hex(n: number): void {
    if (n < 16) {
      this.put(HEX_CHARS[n]!);
      return;
    }
    this.put(n.toString(16));
  }

  /** Four lowercase hex digits. */
  private hex4(n: number): void {
    if (this.pos + 4 > this.out.length) this.grow(4);
    const b = this.out;
    const p = this.pos;
    for (let i = 3; i >= 0; i--) {
      b[p + i] = HEX_DIGITS[n & 15]!;
      n >>>= 4;
    }
    this.pos = p + 4;
  }

  /** The MAC address at frame offset i as aa:bb:cc:dd:ee:ff (caller checked the length). */
  private macBytes(i: number): void {
    if (this.pos + 17 > this.out.length) this.grow(17);
    const b = this.out;
    const d = this.d;
    let p = this.pos;
    for (let k = 0; k < 6; k++) {
      const v = d[i + k]!;
      if (k > 0) b[p++] = 58;
      b[p++] = HEX_DIGITS[v >> 4]!;
      b[p++] = HEX_DIGITS[v & 15]!;
    }
    this.pos = p;
  }

  /** GET_IPADDR_STRING straight into the output. */
  private ipDigits(i: number): void {
    if (i + 4 > this.end) throw TRUNC;
    const d = this.d;
    this.num(d[i]!);
    this.put('.');
    this.num(d[i + 1]!);
    this.put('.');
    this.num(d[i + 2]!);
    this.put('.');
    this.num(d[i + 3]!);
  }

  private grow(need: number): void {
    let size = this.out.length * 2;
    while (size < this.pos + need) size *= 2;
    const bigger = new Uint8Array(size);
    bigger.set(this.out.subarray(0, this.pos));
    this.out = bigger;
  }

  /**
   * Prints one packet into the output buffer (fetch it with `takeOutput`): the CLI's path, which
   * never builds a string per packet.
   */
  append(linkType: number, data: Uint8Array, originalLength: number, tsSec: number, tsUsec: number): void {
    this.packets++;
    if (this.numberFlag) {
      const n = String(this.packets);
      this.put((n.length < 5 ? '     '.slice(n.length) + n : n) + '  ');
    }
    const caplen = data.length;
    if (caplen === 0 || originalLength === 0 || originalLength < caplen || caplen > MAXIMUM_SNAPLEN || originalLength > MAXIMUM_SNAPLEN) {
      // pretty_print_packet() refuses a record header like this before anything else.
      const why: string[] = [];
      if (caplen === 0) why.push(' caplen==0');
      if (originalLength === 0) why.push(' len==0');
      else if (originalLength < caplen) why.push(` len(${originalLength}) < caplen(${caplen})`);
      if (caplen > MAXIMUM_SNAPLEN) why.push(` caplen(${caplen}) > ${MAXIMUM_SNAPLEN}`);
      if (originalLength > MAXIMUM_SNAPLEN) why.push(` len(${originalLength}) > ${MAXIMUM_SNAPLEN}`);
      this.put(`[Invalid header:${why.join(',')}]\n`);
      return;
    }
    this.timestamp(tsSec, tsUsec);
    const d = data;
    this.d = d;
    this.end = d.length;
    this.proto = '';
    this.llHdrLen = 0;
    try {
      this.linkPrint(linkType, originalLength);
    } catch (e) {
      // A printer bug must not end a whole decode run: it is counted (the fuzz test asserts the
      // count stays 0) and reported like tcpdump reports a cut.
      if (e !== TRUNC) this.internalErrors++;
      this.put(` [|${this.proto}]`);
      this.llHdrLen = 0;
    }
    this.end = d.length;
    const cap = d.length;
    if (this.bigXflag > 0) {
      if (this.bigXflag > 1) this.put(hexAsciiDump('\n\t', d, 0, cap));
      else if (cap > this.llHdrLen) this.put(hexAsciiDump('\n\t', d, this.llHdrLen, cap - this.llHdrLen));
    } else if (this.xflag > 0) {
      if (this.xflag > 1) this.put(hexDump('\n\t', d, 0, cap));
      else if (cap > this.llHdrLen) this.put(hexDump('\n\t', d, this.llHdrLen, cap - this.llHdrLen));
    }
    this.put('\n');
  }

  // ---------------------------------------------------------------- timestamps (ts_print)

  private clock(sec: number): string {
    if (sec === this.lastClockSec) return this.lastClock;
    const local = sec + this.tzOffset(sec);
    let s = local % 86400;
    if (s < 0) s += 86400;
    const text = `${PAD2[Math.floor(s / 3600)]}:${PAD2[Math.floor((s % 3600) / 60)]}:${PAD2[s % 60]}`;
    this.lastClockSec = sec;
    this.lastClock = text;
    return text;
  }

  private timestamp(sec: number, usec: number): void {
    switch (this.tflag) {
      case 0:
        this.put(this.clock(sec));
        this.put('.');
        this.usec6(usec);
        this.put(' ');
        return;
      case 1:
        return;
      case 2:
        this.put(`${sec}.${pad6(usec)} `);
        return;
      case 4: {
        const local = sec + this.tzOffset(sec);
        const days = Math.floor(local / 86400);
        const [y, m, dd] = civil(days);
        this.put(`${y}-${PAD2[m]}-${PAD2[dd]} ${this.clock(sec)}.${pad6(usec)} `);
        return;
      }
      default: {
        // 3: since the previous packet; 5 (and more): since the first.
        if (!this.refSet || (this.refSec === 0 && this.refUsec === 0)) {
          this.refSec = sec;
          this.refUsec = usec;
          this.refSet = true;
        }
        let ds = sec - this.refSec;
        let du = usec - this.refUsec;
        let negative = false;
        if (ds < 0 || (ds === 0 && du < 0)) {
          negative = true;
          ds = -ds;
          du = -du;
        }
        if (du < 0) {
          ds -= 1;
          du += 1_000_000;
        }
        // tcpdump formats the delta with gmtime(): whole days drop out of it.
        const h = Math.floor(ds / 3600) % 24;
        this.put(`${negative ? '-' : ' '}${PAD2[h]}:${PAD2[Math.floor((ds % 3600) / 60)]}:${PAD2[ds % 60]}.${pad6(du)} `);
        if (this.tflag === 3) {
          this.refSec = sec;
          this.refUsec = usec;
        }
      }
    }
  }

  // ---------------------------------------------------------------- bounded fetches (GET_*)

  u8(i: number): number {
    if (i >= this.end) throw TRUNC;
    return this.d[i]!;
  }
  u16(i: number): number {
    if (i + 2 > this.end) throw TRUNC;
    return (this.d[i]! << 8) | this.d[i + 1]!;
  }
  u32(i: number): number {
    if (i + 4 > this.end) throw TRUNC;
    const d = this.d;
    return ((d[i]! << 24) | (d[i + 1]! << 16) | (d[i + 2]! << 8) | d[i + 3]!) >>> 0;
  }
  /** ND_TTEST_LEN. */
  has(i: number, n: number): boolean {
    return i + n <= this.end && n >= 0;
  }
  /** GET_IPADDR_STRING. */
  ip(i: number): string {
    const n = this.u32(i);
    let s = this.ipCache.get(n);
    if (s === undefined) {
      s = `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
      if (this.ipCache.size > 65536) this.ipCache.clear();
      this.ipCache.set(n, s);
    }
    return s;
  }
  trunc(): void {
    this.put(` [|${this.proto}]`);
  }
  /** ND_DEFAULTPRINT: hex and ASCII of the rest, unless -x/-X will dump the packet anyway. */
  defaultPrint(start: number, length: number): void {
    if (this.suppressDefaultPrint) return;
    const avail = this.d.length - start;
    const n = length > avail ? avail : length;
    if (n > 0) this.put(hexAsciiDump('\n\t', this.d, start, n));
    if (length > avail) this.put(` [|${this.proto}]`);
  }

  // ---------------------------------------------------------------- link layers

  private linkPrint(linkType: number, originalLength: number): void {
    switch (linkType) {
      case LINKTYPE_ETHERNET:
        this.ether(originalLength);
        return;
      case LINKTYPE_RAW:
      case LINKTYPE_IPV4:
        if (this.eflag) this.put('ip: ');
        this.ipN(0, originalLength);
        return;
      case LINKTYPE_NULL:
      case LINKTYPE_LOOP:
        this.nullLink(linkType, originalLength);
        return;
      case LINKTYPE_LINUX_SLL:
        this.sll(originalLength);
        return;
      case LINKTYPE_LINUX_SLL2:
        this.sll2(originalLength);
        return;
      default:
        this.put(`[link type ${linkType} not supported by tcplab]`);
    }
  }

  private readonly etherTypeTexts = new Map<number, string>();

  private etherTypeText(type: number): string {
    let text = this.etherTypeTexts.get(type);
    if (text === undefined) {
      const name = ETHERTYPES[type];
      text = this.qflag ? (name ?? `Unknown Ethertype (0x${hex4(type)})`) : `ethertype ${name ?? 'Unknown'} (0x${hex4(type)})`;
      if (this.etherTypeTexts.size < 1024) this.etherTypeTexts.set(type, text);
    }
    return text;
  }

  private ether(origLength: number): void {
    this.proto = 'ether';
    const caplenAll = this.d.length;
    if (origLength < caplenAll) {
      this.put(`[length ${origLength} < caplen ${caplenAll}] (invalid)`);
      return;
    }
    if (caplenAll < 14) {
      this.trunc();
      this.llHdrLen = caplenAll;
      return;
    }
    if (this.eflag) {
      this.macBytes(6);
      this.put(' > ');
      this.macBytes(0);
      this.put(', ');
    }
    let type = this.u16(12);
    let off = 14;
    let length = origLength - 14;
    let caplen = caplenAll - 14;
    let printedLength = false;
    while (type === 0x8100 || type === 0x88a8 || type === 0x9100 || type === 0x9200) {
      if (caplen < 4) {
        this.proto = 'vlan';
        this.trunc();
        this.llHdrLen = off + caplen;
        return;
      }
      if (length < 4) {
        this.proto = 'vlan';
        this.put(` [length ${length} < 4] (invalid)`);
        this.llHdrLen = off + length;
        return;
      }
      if (this.eflag) {
        const tag = this.u16(off);
        this.put(this.etherTypeText(type));
        this.put(printedLength ? ', ' : `, length ${origLength}: `);
        printedLength = true;
        this.put(`vlan ${tag & 0xfff}, p ${tag >> 13}${tag & 0x1000 ? ', DEI' : ''}, `);
      }
      type = this.u16(off + 2);
      off += 4;
      length -= 4;
      caplen -= 4;
    }
    this.llHdrLen = off;
    if (type <= 1500) {
      // IEEE 802.3 length field: an 802.2 LLC header follows.
      if (this.eflag) this.put(`802.3${printedLength ? '' : `, length ${type}: `}`);
      this.llc(off, type, caplen);
      return;
    }
    if (this.eflag) {
      this.put(this.etherTypeText(type));
      if (printedLength) this.put(', ');
      else {
        this.put(', length ');
        this.num(origLength);
        this.put(': ');
      }
    }
    if (!this.etherTypePrint(type, off, length, caplen)) {
      if (!this.eflag) this.put(`${this.macPair()}, ${this.etherTypeText(type)}, length ${origLength}: `);
      this.defaultPrint(off, caplen);
    }
  }

  /** ethertype_print: false when tcplab has no printer for the type. */
  private etherTypePrint(type: number, off: number, length: number, caplen: number): boolean {
    switch (type) {
      case 0x0800:
        this.ipPrint(off, length);
        return true;
      case 0x0806:
      case 0x8035:
        this.arp(off, length, caplen);
        return true;
      default:
        return false;
    }
  }

  /**
   * 802.2 LLC (print-llc.c), as far as tcplab goes: SNAP with an Ethernet OUI is handed to the
   * EtherType printers; any other SAP is shown as a header plus a hex dump (docs/decode.md).
   */
  /** `src > dst` of the Ethernet header (only printed with -e or for unknown types). */
  private macPair(): string {
    return `${macToString(this.d, 6)} > ${macToString(this.d, 0)}`;
  }

  private llc(off: number, length: number, caplen: number): void {
    this.proto = 'llc';
    if (caplen < 3 || length < 3) {
      this.trunc();
      return;
    }
    const dsap = this.u8(off);
    const ssap = this.u8(off + 1);
    const ctrl = this.u8(off + 2);
    const sapName = (sap: number): string =>
      ({ 0: 'Null', 0x06: 'IP', 0x42: 'STP', 0xaa: 'SNAP', 0xe0: 'IPX', 0xf0: 'NetBeui', 0xfe: 'OSI', 0xff: 'Global' })[
        sap & 0xfe
      ] ?? 'Unknown';
    if (this.eflag) {
      this.put(`LLC, dsap ${sapName(dsap)} (0x${(dsap & 0xfe).toString(16).padStart(2, '0')}) ${dsap & 1 ? 'Group' : 'Individual'}, `);
      this.put(`ssap ${sapName(ssap)} (0x${(ssap & 0xfe).toString(16).padStart(2, '0')}) ${ssap & 1 ? 'Response' : 'Command'}, `);
      this.put(`ctrl 0x${ctrl.toString(16).padStart(2, '0')}: `);
    }
    if (dsap === 0xaa && ssap === 0xaa && ctrl === 0x03) {
      if (caplen < 8) {
        this.trunc();
        return;
      }
      const oui = (this.u8(off + 3) << 16) | (this.u8(off + 4) << 8) | this.u8(off + 5);
      const type = this.u16(off + 6);
      if (this.eflag) {
        const ouiName = oui === 0 ? 'Ethernet' : oui === 0xf8 ? 'Cisco' : 'Unknown';
        this.put(`oui ${ouiName} (0x${oui.toString(16).padStart(6, '0')}), ethertype ${ETHERTYPES[type] ?? 'Unknown'} (0x${hex4(type)}), length ${length - 8}: `);
      }
      this.llHdrLen = off + 8;
      if (oui === 0 && this.etherTypePrint(type, off + 8, length - 8, caplen - 8)) return;
      this.defaultPrint(off + 8, caplen - 8);
      return;
    }
    if (!this.eflag) this.put(`${this.macPair()}, 802.3, length ${length}: `);
    this.defaultPrint(off, caplen);
  }

  private nullLink(linkType: number, origLength: number): void {
    this.proto = 'null';
    // A cut family field ends the packet like a failed fetch (tcpdump then dumps it all with -x).
    if (this.d.length < 4) throw TRUNC;
    let family: number;
    if (linkType === LINKTYPE_LOOP) family = this.u32(0);
    else {
      family = (this.d[0]! | (this.d[1]! << 8) | (this.d[2]! << 16) | (this.d[3]! << 24)) >>> 0;
      // Written on a big-endian host: the family is in the high half when read little-endian.
      if ((family & 0xffff0000) !== 0) family = this.u32(0);
    }
    const names: Record<number, string> = { 2: 'IPv4', 24: 'IPv6', 28: 'IPv6', 30: 'IPv6', 7: 'OSI', 16: 'Appletalk', 23: 'IPX' };
    const header = (): void => {
      if (!this.qflag) this.put(`AF ${names[family] ?? 'Unknown'} (${family})`);
      else this.put(names[family] ?? `Unknown AF ${family}`);
      this.put(`, length ${origLength}: `);
    };
    if (this.eflag) header();
    this.llHdrLen = 4;
    if (family === 2) this.ipPrint(4, origLength - 4);
    else {
      if (!this.eflag) header();
      this.defaultPrint(4, this.d.length - 4);
    }
  }

  private sllPacketType(t: number): string {
    return ['In', 'B', 'M', 'P', 'Out'][t] ?? '?';
  }

  /** Linux cooked v1 (print-sll.c): with -e, `Out aa:bb:cc:dd:ee:ff ethertype IPv4 (0x0800), length N: `. */
  private sll(origLength: number): void {
    this.proto = 'sll';
    if (this.d.length < 16) {
      this.trunc();
      this.llHdrLen = this.d.length;
      return;
    }
    const proto = this.u16(14);
    if (this.eflag) {
      this.put(this.sllPacketType(this.u16(0)).padStart(3, ' '));
      this.put(' ');
      if (this.u16(4) === 6) {
        this.macBytes(6);
        this.put(' ');
      }
      if (!this.qflag) {
        this.put(`ethertype ${ETHERTYPES[proto] ?? 'Unknown'} (0x${hex4(proto)}), length `);
        this.num(origLength);
        this.put(': ');
      }
    }
    this.llHdrLen = 16;
    if (!this.etherTypePrint(proto, 16, origLength - 16, this.d.length - 16)) this.defaultPrint(16, this.d.length - 16);
  }

  /**
   * Linux cooked v2 (print-sll.c): always `IFNAME DIR ` — tcplab prints '?' for the interface
   * name, which tcpdump looks up by index on the machine reading the file (docs/decode.md) —
   * and with -e `ifindex N aa:bb:cc:dd:ee:ff ethertype IPv4 (0x0800), length N: `.
   */
  private sll2(origLength: number): void {
    this.proto = 'sll2';
    if (this.d.length < 20) {
      this.trunc();
      this.llHdrLen = this.d.length;
      return;
    }
    const proto = this.u16(0);
    this.put('?     ');
    this.put(this.sllPacketType(this.u8(10)).padEnd(3, ' '));
    this.put(' ');
    if (this.eflag) {
      this.put('ifindex ');
      this.num(this.u32(4));
      this.put(' ');
      if (this.u8(11) === 6) {
        this.macBytes(12);
        this.put(' ');
      }
      if (!this.qflag) {
        this.put(`ethertype ${ETHERTYPES[proto] ?? 'Unknown'} (0x${hex4(proto)}), length `);
        this.num(origLength);
        this.put(': ');
      }
    }
    this.llHdrLen = 20;
    if (!this.etherTypePrint(proto, 20, origLength - 20, this.d.length - 20)) this.defaultPrint(20, this.d.length - 20);
  }

  private linkAddr(off: number, len: number): string {
    const parts: string[] = [];
    for (let i = 0; i < len; i++) parts.push(this.u8(off + i).toString(16).padStart(2, '0'));
    return parts.join(':');
  }

  // ---------------------------------------------------------------- ARP (print-arp.c)

  private arp(off: number, length: number, caplen: number): void {
    this.proto = 'arp';
    // tcpdump 4.99 fetches through GET_* here: a cut ARP header ends the packet (longjmp).
    if (!this.has(off, 8)) throw TRUNC;
    const hrd = this.u16(off);
    const pro = this.u16(off + 2);
    const hln = this.u8(off + 4);
    const pln = this.u8(off + 5);
    const op = this.u16(off + 6);
    const sha = off + 8;
    const spa = sha + hln;
    const tha = spa + pln;
    const tpa = tha + hln;
    if (!this.has(tpa, pln)) throw TRUNC;
    if (!this.eflag) this.put('ARP, ');
    const isIp = pro === 0x0800 || pro === 0x1000;
    if (!isIp || pln !== 4 || hln === 0 || this.vflag) {
      const hw = hrd === 1 ? 'Ethernet' : hrd === 6 ? 'TokenRing' : hrd === 32 ? 'IPoIB' : `Unknown Hardware (${hrd})`;
      const pr = ETHERTYPES[pro] ?? `Unknown Protocol (0x${hex4(pro)})`;
      this.put(`${hw} (len ${hln}), ${pr} (len ${pln})`);
      if (!this.vflag) {
        this.put(`, length ${length}`);
        return;
      }
    }
    const opNames: Record<number, string> = {
      1: 'Request',
      2: 'Reply',
      3: 'Reverse Request',
      4: 'Reverse Reply',
      8: 'Inverse Request',
      9: 'Inverse Reply',
      10: 'NACK Reply',
    };
    this.put(`${this.vflag ? ', ' : ''}${opNames[op] ?? `Unknown (${op})`} `);
    const ipAt = (at: number): string => (pln !== 4 ? '<wrong proto addr len>' : this.ip(at));
    const hwAt = (at: number): string => {
      if (hln === 6) {
        if (!this.has(at, 6)) throw TRUNC;
        return macToString(this.d, at);
      }
      return this.linkAddr(at, hln);
    };
    switch (op) {
      case 1: {
        this.put(`who-has ${ipAt(tpa)}`);
        let nonzero = false;
        for (let i = 0; i < hln; i++) if (this.u8(tha + i) !== 0) nonzero = true;
        if (nonzero) this.put(` (${hwAt(tha)})`);
        this.put(` tell ${ipAt(spa)}`);
        break;
      }
      case 2:
        this.put(`${ipAt(spa)} is-at ${hwAt(sha)}`);
        break;
      case 3:
        this.put(`who-is ${hwAt(tha)} tell ${hwAt(sha)}`);
        break;
      case 4:
        this.put(`${hwAt(tha)} at ${ipAt(tpa)}`);
        break;
      case 8:
        this.put(`who-is ${hwAt(tha)} tell ${hwAt(sha)}`);
        break;
      case 9:
        this.put(`${hwAt(sha)} at ${ipAt(spa)}`);
        break;
      default:
        this.defaultPrint(off, caplen);
        return;
    }
    this.put(`, length ${length}`);
  }

  // ---------------------------------------------------------------- IPv4 (print-ip.c)

  private ipN(off: number, length: number): void {
    this.proto = 'ipn';
    if (length < 1) {
      this.put(`truncated-ip ${length}`);
      return;
    }
    const v = this.u8(off) & 0xf0;
    if (v === 0x40) this.ipPrint(off, length);
    else this.put(`unknown ip ${v >> 4}`);
  }

  ipPrint(off: number, length: number): void {
    this.proto = 'ip';
    if (!this.has(off, 1)) {
      this.trunc();
      return;
    }
    const vhl = this.u8(off);
    if (vhl >> 4 !== 4) {
      if (vhl >> 4 === 6) this.put('IP6, wrong link-layer encapsulation');
      else this.put(`IP${vhl >> 4}`);
      this.put(' (invalid)');
      return;
    }
    if (!this.eflag) this.put('IP ');
    if (!this.has(off, 20)) {
      this.trunc();
      return;
    }
    if (length < 20) {
      this.put(`truncated-ip ${length}`);
      return;
    }
    const hlen = (vhl & 0x0f) * 4;
    if (hlen < 20) {
      this.put(`bad-hlen ${hlen}`);
      return;
    }
    let len = this.u16(off + 2);
    if (length < len) this.put(`truncated-ip - ${len - length} bytes missing! `);
    if (len < hlen) {
      this.put(`bad-len ${len}`);
      return;
    }
    const savedEnd = this.end;
    const cut = off + (length < len ? length : len);
    if (cut < this.end) this.end = cut;
    len -= hlen;
    const ipOff = this.u16(off + 6);
    const proto = this.u8(off + 9);
    if (this.vflag) {
      const tos = this.u8(off + 1);
      this.put('(tos 0x');
      this.hex(tos);
      switch (tos & 3) {
        case 1:
          this.put(',ECT(1)');
          break;
        case 2:
          this.put(',ECT(0)');
          break;
        case 3:
          this.put(',CE');
          break;
      }
      const ttl = this.u8(off + 8);
      if (ttl >= 1) {
        this.put(', ttl ');
        this.num(ttl);
      }
      const flags = IP_FLAG_TEXT[ipOff >>> 13]!;
      this.put(', id ');
      this.num(this.u16(off + 4));
      this.put(', offset ');
      this.num((ipOff & 0x1fff) * 8);
      this.put(', flags [');
      this.put(flags);
      this.put('], proto ');
      this.put(IPPROTO_NAMES[proto] ?? 'unknown');
      this.put(' (');
      this.num(proto);
      this.put(')');
      this.put(', length ');
      this.num(this.u16(off + 2));
      let truncated = false;
      if (hlen > 20) {
        this.put(', options (');
        if (!this.ipOptions(off + 20, hlen - 20)) {
          this.put(' [truncated-option]');
          truncated = true;
        }
        this.put(')');
      }
      if (off + hlen <= this.end) {
        const sum = internetChecksum(this.d, off, hlen);
        if (sum !== 0) {
          const field = this.u16(off + 10);
          this.put(`, bad cksum ${field.toString(16)} (->${checksumShouldBe(field, sum).toString(16)})!`);
        }
      }
      this.put(')\n    ');
      if (truncated) {
        this.put(`${this.ip(off + 12)} > ${this.ip(off + 16)}: `);
        this.trunc();
        this.end = savedEnd;
        return;
      }
    }
    if ((ipOff & 0x1fff) === 0) {
      if (proto !== 6 && proto !== 17 && proto !== 132 && proto !== 33) {
        this.put(`${this.ip(off + 12)} > ${this.ip(off + 16)}: `);
      }
      const fragmented = (ipOff & 0x2000) !== 0;
      this.ipDemux(off + hlen, len, proto, fragmented, off);
    } else {
      if (this.qflag > 1) {
        this.end = savedEnd;
        return;
      }
      this.put(`${this.ip(off + 12)} > ${this.ip(off + 16)}: ip-proto-${proto}`);
    }
    this.end = savedEnd;
  }

  /** ip_optprint; false when an option was cut by the capture. */
  private ipOptions(cp: number, length: number): boolean {
    let sep = '';
    let optLen: number;
    for (; length > 0; cp += optLen, length -= optLen) {
      this.put(sep);
      sep = ',';
      const code = this.u8(cp);
      this.put(IP_OPTION_NAMES[code] ?? `unknown ${code}`);
      if (code === 1 || code === 0) optLen = 1;
      else {
        optLen = this.u8(cp + 1);
        if (optLen < 2) {
          this.put(` [bad length ${optLen}]`);
          return true;
        }
      }
      if (optLen > length) {
        this.put(` [bad length ${optLen}]`);
        return true;
      }
      if (!this.has(cp, optLen)) return false;
      switch (code) {
        case 0:
          return true;
        case 68:
          this.ipTimestampOption(cp, optLen);
          break;
        case 7:
        case 131:
        case 137: {
          if (optLen < 3) {
            this.put(` [bad length ${optLen}]`);
            break;
          }
          if ((optLen + 1) & 3) this.put(` [bad length ${optLen}]`);
          const ptr = this.u8(cp + 2) - 1;
          if (ptr < 3 || (ptr + 1) & 3 || ptr > optLen + 1) this.put(` [bad ptr ${this.u8(cp + 2)}]`);
          for (let l = 3; l < optLen; l += 4) {
            this.put(` ${this.ip(cp + l)}`);
            if (ptr > l) this.put(',');
          }
          break;
        }
        case 148:
          if (optLen < 4) {
            this.put(` [bad length ${optLen}]`);
            break;
          }
          if (this.u16(cp + 2) !== 0) this.put(` value ${this.u16(cp + 2)}`);
          break;
        default:
          break;
      }
    }
    return true;
  }

  private ipTimestampOption(cp: number, length: number): void {
    if (length < 4) {
      this.put(`[bad length ${length}]`);
      return;
    }
    this.put(' TS{');
    const flag = this.u8(cp + 3) & 0xf;
    const hoplen = flag !== 0 ? 8 : 4;
    if ((length - 4) & (hoplen - 1)) this.put(`[bad length ${length}]`);
    const ptr = this.u8(cp + 2) - 1;
    let len = 0;
    if (ptr < 4 || (ptr - 4) & (hoplen - 1) || ptr > length + 1) this.put(`[bad ptr ${this.u8(cp + 2)}]`);
    let ok = true;
    switch (flag) {
      case 0:
        this.put('TSONLY');
        break;
      case 1:
        this.put('TS+ADDR');
        break;
      case 3:
        this.put('PRESPEC');
        break;
      default:
        this.put(`[bad ts type ${flag}]`);
        ok = false;
    }
    if (ok) {
      let type = ' ';
      for (len = 4; len < length; len += hoplen) {
        if (ptr === len) type = ' ^ ';
        this.put(`${type}${this.u32(cp + len + hoplen - 4)}@${hoplen !== 8 ? '' : this.ip(cp + len)}`);
        type = ' ';
      }
    }
    this.put(ptr === len ? ' ^ ' : '');
    const over = this.u8(cp + 3) >> 4;
    this.put(over ? ` [${over} hops not recorded]} ` : '}');
  }

  private ipDemux(off: number, length: number, proto: number, fragmented: boolean, ipOff: number): void {
    switch (proto) {
      case 6:
        this.tcp(off, length, ipOff, fragmented);
        return;
      case 17:
        this.udp(off, length, ipOff, fragmented);
        return;
      case 1:
        this.icmp(off, length, ipOff, fragmented);
        return;
      default:
        this.put(` ip-proto-${proto} ${length}`);
    }
  }

  // ---------------------------------------------------------------- ICMP (print-icmp.c)

  private icmp(off: number, plen: number, _ipOff: number, fragmented: boolean): void {
    this.proto = 'icmp';
    const type = this.u8(off);
    const code = this.u8(off + 1);
    let str: string;
    const quotedDst = off + 8 + 16;
    switch (type) {
      case 0:
      case 8:
        str = `echo ${type === 8 ? 'request' : 'reply'}, id ${this.u16(off + 4)}, seq ${this.u16(off + 6)}`;
        break;
      case 3:
        switch (code) {
          case 2:
            str = `${this.ip(quotedDst)} protocol ${this.u8(off + 8 + 9)} unreachable`;
            break;
          case 3: {
            const ipProto = this.u8(off + 8 + 9);
            const hl = (this.u8(off + 8) & 0x0f) * 4;
            const dport = this.u16(off + 8 + hl + 2);
            if (ipProto === 6) str = `${this.ip(quotedDst)} tcp port ${dport} unreachable`;
            else if (ipProto === 17) str = `${this.ip(quotedDst)} udp port ${dport} unreachable`;
            else str = `${this.ip(quotedDst)} protocol ${ipProto} port ${dport} unreachable`;
            break;
          }
          case 4: {
            const mtu = this.u16(off + 6);
            str = mtu
              ? `${this.ip(quotedDst)} unreachable - need to frag (mtu ${mtu})`
              : `${this.ip(quotedDst)} unreachable - need to frag`;
            break;
          }
          default: {
            const fmt = ICMP_UNREACH[code];
            str = fmt ? fmt.replace('%s', this.ip(quotedDst)) : `${this.ip(quotedDst)} unreachable - #${code}`;
          }
        }
        break;
      case 5: {
        const fmt = ICMP_REDIRECT[code] ?? `redirect-#${code} %s to %s`;
        const target = this.ip(quotedDst);
        str = fmt.replace('%s', target).replace('%s', this.ip(off + 4));
        break;
      }
      case 9: {
        // Router advertisement (RFC 1256).
        const num = this.u8(off + 4);
        const size = this.u8(off + 5);
        str = `router advertisement lifetime ${this.relts(this.u16(off + 6))}`;
        if (size !== 2) {
          str += ` [size ${size}]`;
          break;
        }
        let cp = off + 8;
        for (let i = 0; i < num; i++) {
          str += ` {${this.ip(cp)} ${this.u32(cp + 4)}}`;
          cp += 8;
        }
        break;
      }
      case 11:
        if (!this.has(quotedDst, 4)) {
          this.trunc();
          return;
        }
        str = code === 0 ? 'time exceeded in-transit' : code === 1 ? 'ip reassembly time exceeded' : `time exceeded-#${code}`;
        break;
      case 12:
        str = code ? `parameter problem - code ${code}` : `parameter problem - octet ${this.u8(off + 4)}`;
        break;
      case 18:
        str = `address mask is 0x${this.u32(off + 8).toString(16).padStart(8, '0')}`;
        break;
      default:
        str = ICMP_NAMES[type] ?? `type-#${type}`;
    }
    this.put(`ICMP ${str}, length ${plen}`);
    if (this.vflag && !fragmented) {
      if (this.has(off, plen)) {
        const sum = internetChecksum(this.d, off, plen);
        if (sum !== 0) {
          const field = this.u16(off + 2);
          this.put(` (wrong icmp cksum ${field.toString(16)} (->${checksumShouldBe(field, sum).toString(16)})!)`);
        }
      }
    }
    const isErr = type === 3 || type === 4 || type === 5 || type === 11 || type === 12;
    if (this.vflag >= 1 && isErr) {
      const inner = off + 8;
      this.put('\n\t');
      const savedEnd = this.end;
      const innerLen = this.u16(inner + 2);
      if (inner + innerLen < this.end) this.end = inner + innerLen;
      this.ipPrint(inner, innerLen);
      this.end = savedEnd;
      this.proto = 'icmp';
    }
    // RFC 4884 multi-part extensions (MPLS label stacks from routers).
    if (this.vflag >= 1 && plen > 136 && (type === 3 || type === 11 || type === 12)) {
      if (!this.has(off, 141)) {
        this.trunc();
        return;
      }
      if (this.u8(off + 5) === 0 && this.has(off + 136, plen - 136)) {
        if (internetChecksum(this.d, off + 136, plen - 136) !== 0) return;
      }
      const version = this.u8(off + 136) >> 4;
      this.put(`\n\tICMP Multi-Part extension v${version}`);
      if (version !== 2) {
        this.put(' packet not supported');
        return;
      }
      const hlen = plen - 136;
      if (this.has(off + 136, hlen)) {
        const bad = internetChecksum(this.d, off + 136, hlen) !== 0;
        this.put(`, checksum 0x${hex4(this.u16(off + 138))} (${bad ? 'in' : ''}correct), length ${hlen}`);
      }
      let remaining = hlen - 4;
      let obj = off + 140;
      const classNames: Record<number, string> = { 1: 'MPLS Stack Entry', 2: 'Extended Payload' };
      while (remaining > 4) {
        const objLen = this.u16(obj);
        const cls = this.u8(obj + 2);
        const ctype = this.u8(obj + 3);
        obj += 4;
        this.put(`\n\t  ${classNames[cls] ?? 'unknown'} Object (${cls}), Class-Type: ${ctype}, length ${objLen}`);
        remaining -= 4;
        if (cls === 0 || objLen < 4) return;
        const dataLen = objLen - 4;
        if (cls === 1 && ctype === 1) {
          const raw = this.u32(obj);
          this.put(`\n\t    label ${raw >>> 12}, tc ${(raw >> 9) & 7}`);
          if (raw & 0x100) this.put(', [S]');
          this.put(`, ttl ${raw & 0xff}`);
        } else {
          this.unknownData(obj, '\n\t    ', dataLen);
        }
        if (remaining < dataLen) break;
        remaining -= dataLen;
        obj += dataLen;
      }
    }
  }

  /** print_unknown_data: hex dump with the given indent; `[|proto]` when cut. */
  private unknownData(start: number, indent: string, len: number): void {
    if (!this.has(start, len)) {
      this.trunc();
      return;
    }
    this.put(hexAsciiDump(indent, this.d, start, len));
  }

  /** unsigned_relts_print: seconds as e.g. `1h5m3s`. */
  relts(secs: number): string {
    if (secs === 0) return '0s';
    const units: [string, number][] = [
      ['y', 31536000],
      ['w', 604800],
      ['d', 86400],
      ['h', 3600],
      ['m', 60],
      ['s', 1],
    ];
    let s = '';
    for (const [name, size] of units) {
      if (secs >= size) {
        s += `${Math.floor(secs / size)}${name}`;
        secs %= size;
      }
    }
    return s;
  }

  // ---------------------------------------------------------------- UDP (print-udp.c)

  private udpAddrs(ipOff: number, sport: number, dport: number): void {
    const proto = this.u8(ipOff + 9);
    if (proto === 17) {
      if (sport < 0) this.put(`${this.ip(ipOff + 12)} > ${this.ip(ipOff + 16)}: `);
      else this.endpoints(ipOff, sport, dport);
    } else if (sport >= 0) {
      this.put(`${sport} > ${dport}: `);
    }
  }

  private udp(off: number, length: number, ipOff: number, fragmented: boolean): void {
    this.proto = 'udp';
    if (!this.has(off + 2, 2)) {
      this.udpAddrs(ipOff, -1, -1);
      this.trunc();
      return;
    }
    const sport = this.u16(off);
    const dport = this.u16(off + 2);
    if (length < 8) {
      this.udpAddrs(ipOff, sport, dport);
      this.put(`truncated-udp ${length}`);
      return;
    }
    if (!this.has(off + 4, 2)) {
      this.udpAddrs(ipOff, sport, dport);
      this.trunc();
      return;
    }
    let ulen = this.u16(off + 4);
    if (ulen === 0 && length > 65535) ulen = length;
    if (ulen < 8) {
      this.udpAddrs(ipOff, sport, dport);
      this.put(`truncated-udplength ${ulen}`);
      return;
    }
    ulen -= 8;
    length -= 8;
    if (ulen < length) length = ulen;
    const cp = off + 8;
    if (cp > this.end) {
      this.udpAddrs(ipOff, sport, dport);
      this.trunc();
      return;
    }
    this.udpAddrs(ipOff, sport, dport);
    if (this.vflag > 1 && !fragmented) {
      const field = this.u16(off + 6);
      if (field === 0) this.put('[no cksum] ');
      else if (this.has(cp, length)) {
        const segLen = length + 8;
        const sum = internetChecksum(
          this.d,
          off,
          segLen,
          pseudoHeaderSum(this.u32(ipOff + 12), this.u32(ipOff + 16), 17, segLen),
        );
        if (sum !== 0) this.put(`[bad udp cksum 0x${hex4(field)} -> 0x${hex4(checksumShouldBe(field, sum))}!] `);
        else this.put('[udp sum ok] ');
      }
    }
    if (!this.qflag && (sport === 53 || dport === 53)) {
      printDomain(this, cp, length, false);
      return;
    }
    if (ulen > length && !fragmented) this.put(`UDP, bad length ${ulen} > ${length}`);
    else {
      this.put('UDP, length ');
      this.num(ulen);
    }
  }

  // ---------------------------------------------------------------- TCP (print-tcp.c)

  private tcp(off: number, length: number, ipOff: number, fragmented: boolean): void {
    this.proto = 'tcp';
    const ipProto = this.u8(ipOff + 9);
    if (!this.has(off + 2, 2)) {
      this.put(`${this.ip(ipOff + 12)} > ${this.ip(ipOff + 16)}:`);
      this.trunc();
      return;
    }
    const sport = this.u16(off);
    const dport = this.u16(off + 2);
    if (ipProto === 6) this.endpoints(ipOff, sport, dport);
    else this.put(`${sport} > ${dport}: `);
    if (!this.has(off, 20)) {
      this.trunc();
      return;
    }
    const hlen = (this.u8(off + 12) >> 4) * 4;
    if (hlen < 20) {
      this.put(` tcp ${(length - hlen) >>> 0} [bad hdr length ${hlen} - too short, < 20]`);
      return;
    }
    let seq = this.u32(off + 4);
    let ack = this.u32(off + 8);
    const win = this.u16(off + 14);
    const urp = this.u16(off + 18);
    if (this.qflag) {
      this.put(`tcp ${(length - hlen) >>> 0}`);
      if (hlen > length) this.put(` [bad hdr length ${hlen} - too long, > ${length}]`);
      return;
    }
    const flags = this.u8(off + 13);
    this.put('Flags [');
    this.put(TCP_FLAGS[flags]!);
    this.put(']');
    let thseq = 0;
    let thack = 0;
    let rev = false;
    if (!this.sflag && flags & 0x10) {
      const src = this.u32(ipOff + 12);
      const dst = this.u32(ipOff + 16);
      if (sport > dport) rev = true;
      else if (sport === dport && src > dst) rev = true;
      // The conversation key in tcpdump's collating order (struct tha: src, dst, port pair).
      const a = rev ? dst : src;
      const b = rev ? src : dst;
      const ports = (rev ? (dport << 16) | sport : (sport << 16) | dport) >>> 0;
      const table = this.seqs;
      let slot = table.find(a, b, ports);
      if (slot < 0 || flags & 0x02) {
        if (slot < 0) slot = table.insert(slot, a, b, ports);
        const v = table.vals;
        if (rev) {
          v[2 * slot + 1] = seq;
          v[2 * slot] = (ack - 1) >>> 0;
        } else {
          v[2 * slot] = seq;
          v[2 * slot + 1] = (ack - 1) >>> 0;
        }
      } else {
        const v = table.vals;
        if (rev) {
          seq = (seq - v[2 * slot + 1]!) >>> 0;
          ack = (ack - v[2 * slot]!) >>> 0;
        } else {
          seq = (seq - v[2 * slot]!) >>> 0;
          ack = (ack - v[2 * slot + 1]!) >>> 0;
        }
      }
      thseq = table.vals[2 * slot]!;
      thack = table.vals[2 * slot + 1]!;
    }
    if (hlen > length) {
      this.put(` [bad hdr length ${hlen} - too long, > ${length}]`);
      return;
    }
    if (this.vflag && !fragmented) {
      if (this.has(off, length)) {
        const sum = internetChecksum(
          this.d,
          off,
          length,
          pseudoHeaderSum(this.u32(ipOff + 12), this.u32(ipOff + 16), 6, length),
        );
        const field = this.u16(off + 16);
        this.put(', cksum 0x');
        this.hex4(field);
        if (sum !== 0) {
          this.put(' (incorrect -> 0x');
          this.hex4(checksumShouldBe(field, sum));
          this.put(')');
        }
        else this.put(' (correct)');
      }
    }
    length -= hlen;
    if (this.vflag > 1 || length > 0 || flags & 0x07) {
      this.put(', seq ');
      this.num(seq);
      if (length > 0) {
        this.put(':');
        this.num((seq + length) >>> 0);
      }
    }
    if (flags & 0x10) {
      this.put(', ack ');
      this.num(ack);
    }
    this.put(', win ');
    this.num(win);
    if (flags & 0x20) this.put(`, urg ${urp}`);
    if (hlen > 20) {
      if (!this.tcpOptions(off + 20, hlen - 20, rev, thseq, thack)) return;
    }
    this.put(', length ');
    this.num(length);
    if (length <= 0) return;
    const data = off + hlen;
    if (flags & 0x04 && this.vflag) {
      this.tcpRstData(data, length);
      return;
    }
    if (sport === 80 || dport === 80 || sport === 8080 || dport === 8080) {
      this.put(': ');
      this.txtproto(data, length, 'http');
    } else if (sport === 53 || dport === 53) {
      printDomain(this, data, length, true);
    }
  }

  /** The options loop; false when it ended the packet's line (bad option or truncation). */
  private tcpOptions(cp: number, hlen: number, rev: boolean, thseq: number, thack: number): boolean {
    this.put(', options [');
    let ch = '';
    while (hlen > 0) {
      if (ch !== '') this.put(ch);
      const opt = this.u8(cp);
      cp++;
      let len: number;
      if (opt === 0 || opt === 1) len = 1;
      else {
        len = this.u8(cp);
        cp++;
        if (len < 2 || len > hlen) return this.badOption(ch);
        hlen--;
      }
      hlen--;
      let datalen = 0;
      const optName = TCP_OPTION_NAMES[opt];
      if (optName !== undefined) this.put(optName);
      else this.put(`unknown-${opt}`);
      switch (opt) {
        case 2:
          datalen = 2;
          switch (this.lencheck(cp, hlen, datalen)) {
            case 1:
              return this.badOption(ch);
            case 2:
              return this.truncOption(ch);
          }
          this.put(' ');
          this.num(this.u16(cp));
          break;
        case 3:
          datalen = 1;
          switch (this.lencheck(cp, hlen, datalen)) {
            case 1:
              return this.badOption(ch);
            case 2:
              return this.truncOption(ch);
          }
          this.put(' ');
          this.num(this.u8(cp));
          break;
        case 5:
          datalen = len - 2;
          if (datalen % 8 !== 0) this.put(' invalid sack');
          else {
            this.put(` ${datalen / 8} `);
            for (let i = 0; i < datalen; i += 8) {
              let r = this.lencheck(cp, hlen, i + 4);
              if (r === 1) return this.badOption(ch);
              if (r === 2) return this.truncOption(ch);
              let s = this.u32(cp + i);
              r = this.lencheck(cp, hlen, i + 8);
              if (r === 1) return this.badOption(ch);
              if (r === 2) return this.truncOption(ch);
              let e = this.u32(cp + i + 4);
              if (rev) {
                s = (s - thseq) >>> 0;
                e = (e - thseq) >>> 0;
              } else {
                s = (s - thack) >>> 0;
                e = (e - thack) >>> 0;
              }
              this.put(`{${s}:${e}}`);
            }
          }
          break;
        case 8:
          datalen = 8;
          switch (this.lencheck(cp, hlen, datalen)) {
            case 1:
              return this.badOption(ch);
            case 2:
              return this.truncOption(ch);
          }
          this.put(' val ');
          this.num(this.u32(cp));
          this.put(' ecr ');
          this.num(this.u32(cp + 4));
          break;
        case 19:
          datalen = 16;
          switch (this.lencheck(cp, hlen, datalen)) {
            case 1:
              return this.badOption(ch);
            case 2:
              return this.truncOption(ch);
          }
          // Debian's tcpdump is built with libcrypto but has no secret: it cannot check.
          this.put(" shared secret not supplied with -M, can't check - ");
          for (let i = 0; i < 16; i++) this.put(this.u8(cp + i).toString(16).padStart(2, '0'));
          break;
        case 28:
          datalen = 2;
          switch (this.lencheck(cp, hlen, datalen)) {
            case 1:
              return this.badOption(ch);
            case 2:
              return this.truncOption(ch);
          }
          {
            const utoval = this.u16(cp);
            // RFC 5482 §3: the G bit says minutes, else seconds; tcpdump shows the raw field and seconds.
            this.put(` 0x${utoval.toString(16)} ${utoval & 0x0001 ? (utoval >> 1) * 60 : utoval >> 1}`);
          }
          break;
        case 29:
          datalen = len - 2;
          // RFC 5925 TCP-AO: keyid, rnextkeyid, MAC.
          if (datalen < 2) {
            this.put(` invalid`);
            break;
          }
          switch (this.lencheck(cp, hlen, datalen)) {
            case 1:
              return this.badOption(ch);
            case 2:
              return this.truncOption(ch);
          }
          this.put(` keyid ${this.u8(cp)} rnextkeyid ${this.u8(cp + 1)}`);
          if (datalen > 2) {
            this.put(' mac 0x');
            for (let i = 2; i < datalen; i++) this.put(this.u8(cp + i).toString(16).padStart(2, '0'));
          }
          break;
        case 34:
          datalen = len - 2;
          switch (this.lencheck(cp, hlen, datalen)) {
            case 1:
              return this.badOption(ch);
            case 2:
              return this.truncOption(ch);
          }
          this.put(' ');
          this.tcpFastopen(cp, datalen, false);
          break;
        case 254:
          datalen = len - 2;
          switch (this.lencheck(cp, hlen, datalen)) {
            case 1:
              return this.badOption(ch);
            case 2:
              return this.truncOption(ch);
          }
          if (datalen < 2) {
            this.put(' malformed');
            break;
          }
          {
            const magic = this.u16(cp);
            if (magic === 0xf989) {
              this.put('-');
              this.tcpFastopen(cp + 2, datalen - 2, true);
            } else this.put(` 0x${hex4(magic)}`);
          }
          break;
        case 0:
        case 1:
        case 4:
          break;
        case 11:
        case 12:
        case 13:
          datalen = 4;
          switch (this.lencheck(cp, hlen, datalen)) {
            case 1:
              return this.badOption(ch);
            case 2:
              return this.truncOption(ch);
          }
          this.put(` ${this.u32(cp)}`);
          break;
        default:
          datalen = len - 2;
          if (datalen) this.put(' 0x');
          for (let i = 0; i < datalen; i++) {
            const r = this.lencheck(cp, hlen, i + 1);
            if (r === 1) return this.badOption(ch);
            if (r === 2) return this.truncOption(ch);
            this.put(this.u8(cp + i).toString(16).padStart(2, '0'));
          }
          break;
      }
      cp += datalen;
      hlen -= datalen;
      datalen++;
      if (opt !== 0 && opt !== 1) datalen++;
      if (datalen !== len) this.put(`[len ${len}]`);
      ch = ',';
      if (opt === 0) break;
    }
    this.put(']');
    return true;
  }

  /** LENCHECK: 0 when `l` option bytes fit in the header and were captured; 1 bad, 2 cut. */
  private lencheck(cp: number, hlen: number, l: number): number {
    return l > hlen ? 1 : !this.has(cp, l) ? 2 : 0;
  }

  private badOption(ch: string): false {
    this.put('[bad opt]');
    if (ch !== '') this.put(']');
    return false;
  }

  private truncOption(ch: string): false {
    this.trunc();
    if (ch !== '') this.put('>');
    return false;
  }

  private tcpFastopen(cp: number, datalen: number, exp: boolean): void {
    if (exp) this.put('tfo');
    if (datalen === 0) this.put(' cookiereq');
    else if (datalen % 2 !== 0 || datalen < 4 || datalen > 16) this.put(' malformed');
    else {
      this.put(' cookie ');
      for (let i = 0; i < datalen; i++) this.put(this.u8(cp + i).toString(16).padStart(2, '0'));
    }
  }

  /**
   * print_tcp_rst_data: RFC 1122 §4.2.2.12 lets an RST carry a reason in ASCII. tcpdump shows at
   * most 30 bytes (a '+' says there were more), escaped, stopping where the capture ends.
   */
  private tcpRstData(cp: number, length: number): void {
    this.put(' [RST');
    if (length > 30) {
      length = 30;
      this.put('+');
    }
    this.put(' ');
    for (let i = 0; i < length && cp + i < this.end; i++) this.put(this.printableChar(this.d[cp + i]!));
    this.put(']');
  }

  /** fn_print_char: tcpdump's safe printing of one byte. */
  printableChar(c: number): string {
    let s = '';
    if (c >= 0x80) {
      c &= 0x7f;
      s += 'M-';
    }
    if (c < 0x20 || c === 0x7f) {
      c ^= 0x40;
      s += '^';
    }
    return s + String.fromCharCode(c);
  }

  // ---------------------------------------------------------------- text protocols (util-print.c)

  private fetchToken(pptr: number, idx: number, len: number, maxLen: number): { idx: number; token: string } {
    let token = '';
    for (; idx < len; idx++) {
      if (!this.has(pptr + idx, 1)) return { idx: 0, token: '' };
      const c = this.d[pptr + idx]!;
      if (c >= 0x80) return { idx: 0, token: '' };
      if (c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a) break;
      if (c < 0x20 || c === 0x7f) return { idx: 0, token: '' };
      if (token.length + 2 > maxLen) return { idx: 0, token: '' };
      token += String.fromCharCode(c);
    }
    if (token.length === 0) return { idx: 0, token: '' };
    for (; idx < len; idx++) {
      if (!this.has(pptr + idx, 1)) break;
      const c = this.d[pptr + idx]!;
      if (c === 0x0d || c === 0x0a) break;
      if (c < 0x20 || c >= 0x7f) break;
      if (c !== 0x20 && c !== 0x09) break;
    }
    return { idx, token };
  }

  /** print_txt_line: returns the index after the line, or 0 to stop. */
  private txtLine(prefix: string, pptr: number, idx: number, len: number): number {
    const start = idx;
    let lineLen: number;
    for (;;) {
      if (idx >= len) {
        lineLen = idx - start;
        this.put(prefix + this.latin1(pptr + start, lineLen));
        this.trunc();
        return 0;
      }
      const c = this.u8(pptr + idx);
      if (c === 0x0a) {
        lineLen = idx - start;
        idx++;
        break;
      } else if (c === 0x0d) {
        if (idx + 1 >= len) return 0;
        if (this.u8(pptr + idx + 1) === 0x0a) {
          lineLen = idx - start;
          idx += 2;
          break;
        }
        return 0;
      } else if ((c < 0x20 || c >= 0x7f) && c !== 0x09) {
        return 0;
      }
      idx++;
    }
    this.put(prefix + this.latin1(pptr + start, lineLen));
    return idx;
  }

  private latin1(start: number, n: number): string {
    let s = '';
    for (let i = 0; i < n; i++) s += String.fromCharCode(this.d[start + i]!);
    return s;
  }

  private txtproto(pptr: number, len: number, protoName: string): void {
    this.proto = protoName;
    let printThis = false;
    let r = this.fetchToken(pptr, 0, len, 129);
    if (r.idx !== 0) {
      if (HTTP_METHODS.has(r.token.toUpperCase())) printThis = true;
      r = this.fetchToken(pptr, r.idx, len, 129);
      if (r.idx !== 0) {
        const t = r.token;
        if (t.length === 3 && t >= '000' && t <= '999' && /^[0-9]{3}$/.test(t)) printThis = true;
      }
    }
    this.put(protoName.toUpperCase());
    if (!printThis) return;
    if (this.vflag) {
      this.put(`, length: ${len}`);
      for (let idx = 0; idx < len; ) {
        const eol = this.txtLine('\n\t', pptr, idx, len);
        if (eol === 0) break;
        idx = eol;
      }
    } else {
      // The ': ' goes out with the line, so a line cut by the capture prints neither.
      this.txtLine(': ', pptr, 0, len);
    }
  }
}
