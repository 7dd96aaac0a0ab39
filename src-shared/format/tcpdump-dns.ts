/**
 * DNS as tcpdump 4.99 prints it (print-domain.c: domain_print, ns_qprint, ns_rprint, fqdn_print),
 * over UDP and TCP (RFC 1035 §4.2.2 two-byte length prefix). Used by ./tcpdump.ts.
 */

/** What the DNS printer needs from the packet printer (its bounded fetches and output). */
export interface DnsPrinterHost {
  /** Appends text (ASCII) to the packet's output. */
  put(s: string): void;
  d: Uint8Array;
  end: number;
  proto: string;
  readonly vflag: number;
  u8(i: number): number;
  u16(i: number): number;
  u32(i: number): number;
  has(i: number, n: number): boolean;
  ip(i: number): string;
  trunc(): void;
  relts(secs: number): string;
  printableChar(c: number): string;
}

const T_OPT = 41;
const MAXCDNAME = 255;

const TYPES: Record<number, string> = {
  1: 'A',
  2: 'NS',
  3: 'MD',
  4: 'MF',
  5: 'CNAME',
  6: 'SOA',
  7: 'MB',
  8: 'MG',
  9: 'MR',
  10: 'NULL',
  11: 'WKS',
  12: 'PTR',
  13: 'HINFO',
  14: 'MINFO',
  15: 'MX',
  16: 'TXT',
  17: 'RP',
  18: 'AFSDB',
  19: 'X25',
  20: 'ISDN',
  21: 'RT',
  22: 'NSAP',
  23: 'NSAP_PTR',
  24: 'SIG',
  25: 'KEY',
  26: 'PX',
  27: 'GPOS',
  28: 'AAAA',
  29: 'LOC',
  30: 'NXT',
  31: 'EID',
  32: 'NIMLOC',
  33: 'SRV',
  34: 'ATMA',
  35: 'NAPTR',
  36: 'KX',
  37: 'CERT',
  38: 'A6',
  39: 'DNAME',
  40: 'SINK',
  41: 'OPT',
  42: 'APL',
  43: 'DS',
  44: 'SSHFP',
  45: 'IPSECKEY',
  46: 'RRSIG',
  47: 'NSEC',
  48: 'DNSKEY',
  49: 'DHCID',
  50: 'NSEC3',
  51: 'NSEC3PARAM',
  52: 'TLSA',
  53: 'SMIMEA',
  55: 'HIP',
  56: 'NINFO',
  57: 'RKEY',
  58: 'TALINK',
  59: 'CDS',
  60: 'CDNSKEY',
  61: 'OPENPGPKEY',
  62: 'CSYNC',
  63: 'ZONEMD',
  64: 'SVCB',
  65: 'HTTPS',
  99: 'SPF',
  100: 'UINFO',
  101: 'UID',
  102: 'GID',
  103: 'UNSPEC',
  104: 'NID',
  105: 'L32',
  106: 'L64',
  107: 'LP',
  108: 'EUI48',
  109: 'EUI64',
  249: 'TKEY',
  250: 'TSIG',
  251: 'IXFR',
  252: 'AXFR',
  253: 'MAILB',
  254: 'MAILA',
  255: 'ANY',
  256: 'URI',
  257: 'CAA',
  32768: 'TA',
  32769: 'DLV',
};

const CLASSES: Record<number, string> = { 1: 'IN', 3: 'CHAOS', 4: 'HS', 255: 'ANY' };

const OPS = [
  '',
  ' inv_q',
  ' stat',
  ' op3',
  ' notify',
  ' update',
  ' op6',
  ' op7',
  ' op8',
  ' updateA',
  ' updateD',
  ' updateDA',
  ' updateM',
  ' updateMA',
  ' zoneInit',
  ' zoneRef',
];

function rcodeText(rcode: number): string {
  switch (rcode) {
    case 0:
      return '';
    case 1:
      return ' FormErr';
    case 2:
      return ' ServFail';
    case 3:
      return ' NXDomain';
    case 4:
      return ' NotImp';
    case 5:
      return ' Refused';
    case 6:
      return ' YXDomain';
    case 7:
      return ' YXRRSet';
    case 8:
      return ' NXRRSet';
    case 9:
      return ' NotAuth';
    case 10:
      return ' NotZone';
    case 16:
      return ' BadVers';
    case 17:
      return ' BadKey';
    case 18:
      return ' BadTime';
    case 19:
      return ' BadMode';
    case 20:
      return ' BadName';
    case 21:
      return ' BadAlg';
    case 22:
      return ' BadTrunc';
    case 23:
      return ' BadCookie';
    default:
      return ` Resp${rcode & 0xfff}`;
  }
}

const FAIL = -1;

/** labellen: the length of the label at cp (-1 on a bad label type). */
function labelLen(h: DnsPrinterHost, cp: number): number {
  if (!h.has(cp, 1)) return FAIL;
  const i = h.d[cp]!;
  switch (i & 0xc0) {
    case 0x40: {
      const elt = i & 0x3f;
      if (elt !== 0x01) {
        h.put(`<ELT ${elt}>`);
        return FAIL;
      }
      if (!h.has(cp + 1, 1)) return FAIL;
      let bitlen = h.d[cp + 1]!;
      if (bitlen === 0) bitlen = 256;
      return Math.floor((bitlen + 7) / 8) + 1;
    }
    case 0xc0:
    case 0:
      return i;
    default:
      return i & 0x3f;
  }
}

/** ns_nskip: the index after the name at cp, or -1. */
function nskip(h: DnsPrinterHost, cp: number): number {
  if (!h.has(cp, 1)) return FAIL;
  let i = h.u8(cp);
  cp++;
  while (i) {
    switch (i & 0xc0) {
      case 0xc0:
        return cp + 1;
      case 0x40: {
        if ((i & 0x3f) !== 0x01) return FAIL;
        if (!h.has(cp, 1)) return FAIL;
        let bitlen = h.u8(cp);
        if (bitlen === 0) bitlen = 256;
        cp++;
        cp += Math.floor((bitlen + 7) / 8);
        break;
      }
      case 0x80:
        return FAIL;
      default:
        cp += i;
    }
    if (!h.has(cp, 1)) return FAIL;
    i = h.u8(cp);
    cp++;
  }
  return cp;
}

/** fqdn_print: prints the name at cp (bp = start of the DNS message); returns the index after it or -1. */
function fqdn(h: DnsPrinterHost, cp: number, bp: number): number {
  let l = labelLen(h, cp);
  if (l === FAIL) return FAIL;
  if (!h.has(cp, 1)) return FAIL;
  let maxOffset = cp - bp;
  let i = h.u8(cp);
  cp++;
  let rp = FAIL;
  let compress = false;
  if ((i & 0xc0) !== 0xc0) rp = cp + l;
  let nameChars = 0;
  if (i !== 0) {
    while (i && cp < h.end) {
      if ((i & 0xc0) === 0xc0) {
        if (!compress) {
          rp = cp + 1;
          compress = true;
        }
        if (!h.has(cp, 1)) return FAIL;
        const offset = ((i << 8) | h.u8(cp)) & 0x3fff;
        if (offset >= maxOffset) {
          h.put('<BAD PTR>');
          return FAIL;
        }
        maxOffset = offset;
        cp = bp + offset;
        if (!h.has(cp, 1)) return FAIL;
        i = h.u8(cp);
        l = labelLen(h, cp);
        if (l === FAIL) return FAIL;
        cp++;
        continue;
      }
      if ((i & 0xc0) === 0x40) {
        const elt = i & 0x3f;
        if (elt === 0x01) {
          if (blabel(h, cp) === FAIL) return FAIL;
        } else {
          h.put(`<ELT ${elt}>`);
          return FAIL;
        }
      } else {
        if (nameChars + l <= MAXCDNAME) {
          if (!printn(h, cp, l)) return FAIL;
        } else if (nameChars < MAXCDNAME) {
          if (!printn(h, cp, MAXCDNAME - nameChars)) return FAIL;
        }
        nameChars += l;
      }
      cp += l;
      if (nameChars <= MAXCDNAME) h.put('.');
      nameChars++;
      if (!h.has(cp, 1)) return FAIL;
      i = h.u8(cp);
      l = labelLen(h, cp);
      if (l === FAIL) return FAIL;
      cp++;
      if (!compress) rp += l + 1;
    }
    if (nameChars > MAXCDNAME) h.put('<DOMAIN NAME TOO LONG>');
  } else h.put('.');
  return rp;
}

/** nd_printn: n bytes, escaped like tcpdump; false if they were not captured. */
function printn(h: DnsPrinterHost, cp: number, n: number): boolean {
  for (let k = 0; k < n; k++) {
    if (cp + k >= h.end) return false;
    h.put(h.printableChar(h.d[cp + k]!));
  }
  return true;
}

/** blabel_print (RFC 2673 bit-string labels): `\[x<hex>/<bits>]`; returns the index after it. */
function blabel(h: DnsPrinterHost, cp: number): number {
  if (!h.has(cp, 1)) return FAIL;
  let bitlen = h.u8(cp);
  if (bitlen === 0) bitlen = 256;
  h.put('\\[x');
  let b = bitlen;
  for (cp = cp + 1; b >= 8; b -= 8, cp++) {
    if (!h.has(cp, 1)) return FAIL;
    h.put(h.u8(cp).toString(16).padStart(2, '0'));
  }
  if (b > 4) {
    const tc = h.u8(cp);
    cp++;
    h.put((tc & (0xff << (8 - b)) & 0xff).toString(16).padStart(2, '0'));
  } else if (b > 0) {
    const tc = h.u8(cp);
    cp++;
    h.put(((tc >> 4) & (0x0f << (4 - b)) & 0x0f).toString(16));
  }
  h.put(`/${bitlen}]`);
  return cp;
}

/** ns_cprint: one <character-string>; returns the index after it or -1. */
function cprint(h: DnsPrinterHost, cp: number): number {
  if (!h.has(cp, 1)) return FAIL;
  const i = h.u8(cp);
  cp++;
  if (!printn(h, cp, i)) return FAIL;
  return cp + i;
}

/** ns_qprint: ` TYPE? name.`; returns the index after the question or -1. */
function qprint(h: DnsPrinterHost, cp: number, bp: number): number {
  const np = cp;
  cp = nskip(h, cp);
  if (cp === FAIL || !h.has(cp, 4)) return FAIL;
  const t = h.u16(cp);
  cp += 2;
  h.put(` ${TYPES[t] ?? `Type${t}`}`);
  const cls = h.u16(cp);
  cp += 2;
  if (cls !== 1) h.put(` ${CLASSES[cls] ?? `(Class ${cls})`}`);
  h.put('? ');
  const r = fqdn(h, np, bp);
  return r === FAIL ? FAIL : r + 4;
}

/** ns_rprint: one resource record; returns the index after it, `h.end` when cut, or -1. */
function rprint(h: DnsPrinterHost, cp: number, bp: number): number {
  if (h.vflag) {
    h.put(' ');
    cp = fqdn(h, cp, bp);
    if (cp === FAIL) return FAIL;
  } else cp = nskip(h, cp);
  if (cp === FAIL || !h.has(cp, 10)) return h.end;
  const typ = h.u16(cp);
  cp += 2;
  const cls = h.u16(cp);
  cp += 2;
  if (cls !== 1 && typ !== T_OPT) h.put(` ${CLASSES[cls] ?? `(Class ${cls})`}`);
  let optFlags = 0;
  if (typ === T_OPT) {
    cp += 2;
    optFlags = h.u16(cp);
    cp += 2;
  } else if (h.vflag > 2) {
    h.put(` [${h.relts(h.u32(cp))}]`);
    cp += 4;
  } else cp += 4;
  const len = h.u16(cp);
  cp += 2;
  const rp = cp + len;
  h.put(` ${TYPES[typ] ?? `Type${typ}`}`);
  if (rp > h.end) return FAIL;
  switch (typ) {
    case 1:
      if (!h.has(cp, 4)) return FAIL;
      h.put(` ${h.ip(cp)}`);
      break;
    case 2:
    case 5:
    case 12:
    case 39:
      h.put(' ');
      if (fqdn(h, cp, bp) === FAIL) return FAIL;
      break;
    case 6:
      if (!h.vflag) break;
      h.put(' ');
      cp = fqdn(h, cp, bp);
      if (cp === FAIL) return FAIL;
      h.put(' ');
      cp = fqdn(h, cp, bp);
      if (cp === FAIL) return FAIL;
      if (!h.has(cp, 20)) return FAIL;
      for (let k = 0; k < 5; k++) h.put(` ${h.u32(cp + 4 * k)}`);
      break;
    case 15:
      h.put(' ');
      if (fqdn(h, cp + 2, bp) === FAIL) return FAIL;
      h.put(` ${h.u16(cp)}`);
      break;
    case 16:
      while (cp < rp) {
        h.put(' "');
        cp = cprint(h, cp);
        if (cp === FAIL) return FAIL;
        h.put('"');
      }
      break;
    case 33:
      h.put(' ');
      if (fqdn(h, cp + 6, bp) === FAIL) return FAIL;
      h.put(`:${h.u16(cp + 4)}`);
      h.put(` ${h.u16(cp)} ${h.u16(cp + 2)}`);
      break;
    case 28: {
      if (!h.has(cp, 16)) return FAIL;
      h.put(` ${ipv6ToString(h.d, cp)}`);
      break;
    }
    case T_OPT:
      h.put(` UDPsize=${cls}`);
      if (optFlags & 0x8000) h.put(' DO');
      if (cp < rp) {
        h.put(' [');
        while (cp < rp) {
          cp = ednsOption(h, cp);
          if (cp === FAIL) return FAIL;
          if (cp < rp) h.put(',');
        }
        h.put(']');
      }
      break;
    case 250:
      // TSIG: tcpdump prints nothing more at this level without -vv detail; keep to the type.
      break;
    default:
      break;
  }
  return rp;
}

const EDNS_OPTS: Record<number, string> = {
  3: 'NSID',
  5: 'DAU',
  6: 'DHU',
  7: 'N3U',
  8: 'ECS',
  9: 'EXPIRE',
  10: 'COOKIE',
  11: 'KEEPALIVE',
  12: 'PADDING',
  13: 'CHAIN',
  14: 'KEY-TAG',
  15: 'EDE',
  16: 'CLIENT-TAG',
  17: 'SERVER-TAG',
};

/** edns_print_option, reduced: name and length, raw data for the ones tcpdump dumps. */
function ednsOption(h: DnsPrinterHost, cp: number): number {
  if (!h.has(cp, 4)) return FAIL;
  const code = h.u16(cp);
  const len = h.u16(cp + 2);
  cp += 4;
  h.put(`${EDNS_OPTS[code] ?? `Opt${code}`} ${len}`);
  if (!h.has(cp, len)) return FAIL;
  if (code === 12) {
    // PADDING: tcpdump prints nothing more.
  } else if (len > 0) {
    h.put(' ');
    for (let i = 0; i < len; i++) h.put(h.u8(cp + i).toString(16).padStart(2, '0'));
  }
  return cp + len;
}

function ipv6ToString(d: Uint8Array, off: number): string {
  const words: number[] = [];
  for (let i = 0; i < 8; i++) words.push((d[off + 2 * i]! << 8) | d[off + 2 * i + 1]!);
  // RFC 5952: the longest run (>= 2) of zero words becomes '::'.
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (words[i] === 0) {
      let j = i;
      while (j < 8 && words[j] === 0) j++;
      if (j - i > bestLen && j - i >= 2) {
        bestStart = i;
        bestLen = j - i;
      }
      i = j;
    } else i++;
  }
  const hex = (w: number): string => w.toString(16);
  if (bestStart < 0) return words.map(hex).join(':');
  // IPv4-mapped / compatible forms as inet_ntop writes them.
  if (bestStart === 0 && (bestLen === 6 || (bestLen === 5 && words[5] === 0xffff))) {
    const v4 = `${d[off + 12]}.${d[off + 13]}.${d[off + 14]}.${d[off + 15]}`;
    return bestLen === 6 ? `::${v4}` : `::ffff:${v4}`;
  }
  const head = words.slice(0, bestStart).map(hex).join(':');
  const tail = words.slice(bestStart + bestLen).map(hex).join(':');
  return `${head}::${tail}`;
}

/** domain_print. `overTcp`: the message has the RFC 1035 §4.2.2 two-byte length prefix. */
export function printDomain(h: DnsPrinterHost, bp: number, length: number, overTcp: boolean): void {
  h.proto = 'domain';
  if (overTcp) {
    if (length < 2) {
      h.put(` [DNS over TCP: length ${length} < 2] (invalid)`);
      return;
    }
    length -= 2;
    const prefix = h.u16(bp);
    if (prefix !== length) {
      h.put(` [prefix length(${prefix}) != length(${length})] (invalid)`);
      return;
    }
    bp += 2;
    h.put(' ');
  }
  if (length < 12) {
    h.put(`domain [length ${length} < 12] (invalid)`);
    return;
  }
  if (!h.has(bp, 12)) {
    h.trunc();
    return;
  }
  const flags = h.u16(bp + 2);
  let qdcount = h.u16(bp + 4);
  let ancount = h.u16(bp + 6);
  let nscount = h.u16(bp + 8);
  let arcount = h.u16(bp + 10);
  let rcode = flags & 0x000f;
  // Find the OPT record for the extended RCODE (RFC 6891 §6.1.3).
  let cp = bp + 12;
  scan: {
    for (let i = 0; i < qdcount; i++) {
      cp = nskip(h, cp);
      if (cp === FAIL) break scan;
      cp += 4;
      if (cp >= h.end) break scan;
    }
    for (let i = 0; i < ancount + nscount; i++) {
      cp = nskip(h, cp);
      if (cp === FAIL) break scan;
      cp += 8;
      if (cp + 2 > h.end) break scan;
      cp += h.u16(cp) + 2;
      if (cp >= h.end) break scan;
    }
    for (let i = 0; i < arcount; i++) {
      cp = nskip(h, cp);
      if (cp === FAIL) break scan;
      if (cp + 2 > h.end) break scan;
      if (h.u16(cp) === T_OPT) {
        rcode |= h.u8(cp + 4) << 4;
        break scan;
      }
      cp += 8;
      if (cp + 2 > h.end) break scan;
      cp += h.u16(cp) + 2;
      if (cp >= h.end) break scan;
    }
  }
  const id = h.u16(bp);
  const opcode = (flags >> 11) & 0xf;
  if (flags & 0x8000) {
    h.put(`${id}${OPS[opcode]}${rcodeText(rcode)}${flags & 0x0400 ? '*' : ''}${flags & 0x0080 ? '' : '-'}${flags & 0x0200 ? '|' : ''}${flags & 0x0020 ? '$' : ''}`);
    if (qdcount !== 1) h.put(` [${qdcount}q]`);
    cp = bp + 12;
    for (let i = 0; i < qdcount; i++) {
      if (i !== 0) h.put(',');
      if (h.vflag > 1) {
        h.put(' q:');
        cp = qprint(h, cp, bp);
        if (cp === FAIL) return h.trunc();
      } else {
        cp = nskip(h, cp);
        if (cp === FAIL) return h.trunc();
        cp += 4;
      }
    }
    h.put(` ${ancount}/${nscount}/${arcount}`);
    if (ancount) {
      cp = rprint(h, cp, bp);
      if (cp === FAIL) return h.trunc();
      ancount--;
      while (cp < h.end && ancount) {
        h.put(',');
        cp = rprint(h, cp, bp);
        if (cp === FAIL) return h.trunc();
        ancount--;
      }
    }
    if (ancount) return h.trunc();
    if (h.vflag > 1) {
      if (cp < h.end && nscount) {
        h.put(' ns:');
        cp = rprint(h, cp, bp);
        if (cp === FAIL) return h.trunc();
        nscount--;
        while (cp < h.end && nscount) {
          h.put(',');
          cp = rprint(h, cp, bp);
          if (cp === FAIL) return h.trunc();
          nscount--;
        }
      }
      if (nscount) return h.trunc();
      if (cp < h.end && arcount) {
        h.put(' ar:');
        cp = rprint(h, cp, bp);
        if (cp === FAIL) return h.trunc();
        arcount--;
        while (cp < h.end && arcount) {
          h.put(',');
          cp = rprint(h, cp, bp);
          if (cp === FAIL) return h.trunc();
          arcount--;
        }
      }
      if (arcount) return h.trunc();
    }
  } else {
    h.put(`${id}${OPS[opcode]}${flags & 0x0100 ? '+' : ''}${flags & 0x0010 ? '%' : ''}`);
    const b2 = flags;
    if (b2 & 0x6cf) h.put(` [b2&3=0x${b2.toString(16)}]`);
    if (opcode === 1) {
      if (qdcount) h.put(` [${qdcount}q]`);
      if (ancount !== 1) h.put(` [${ancount}a]`);
    } else {
      if (ancount) h.put(` [${ancount}a]`);
      if (qdcount !== 1) h.put(` [${qdcount}q]`);
    }
    if (nscount) h.put(` [${nscount}n]`);
    if (arcount) h.put(` [${arcount}au]`);
    cp = bp + 12;
    if (qdcount) {
      cp = qprint(h, cp, bp);
      if (cp === FAIL) return h.trunc();
      qdcount--;
      while (cp < h.end && qdcount) {
        cp = qprint(h, cp, bp);
        if (cp === FAIL) return h.trunc();
        qdcount--;
      }
    }
    if (qdcount) return h.trunc();
    if (h.vflag > 1) {
      if (ancount) {
        cp = rprint(h, cp, bp);
        if (cp === FAIL) return h.trunc();
        ancount--;
        while (cp < h.end && ancount) {
          h.put(',');
          cp = rprint(h, cp, bp);
          if (cp === FAIL) return h.trunc();
          ancount--;
        }
      }
      if (ancount) return h.trunc();
      if (cp < h.end && nscount) {
        h.put(' ns:');
        cp = rprint(h, cp, bp);
        if (cp === FAIL) return h.trunc();
        nscount--;
        while (cp < h.end && nscount) {
          h.put(',');
          cp = rprint(h, cp, bp);
          if (cp === FAIL) return h.trunc();
          nscount--;
        }
      }
      if (nscount) return h.trunc();
      if (cp < h.end && arcount) {
        h.put(' ar:');
        cp = rprint(h, cp, bp);
        if (cp === FAIL) return h.trunc();
        arcount--;
        while (cp < h.end && arcount) {
          h.put(',');
          cp = rprint(h, cp, bp);
          if (cp === FAIL) return h.trunc();
          arcount--;
        }
      }
      if (arcount) return h.trunc();
    }
  }
  h.put(` (${length})`);
}
