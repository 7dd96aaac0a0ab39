/**
 * The TCP segment values the connection consumes and produces. The shape is the wire contract's
 * `TcpRepr` (/tmp/team/wire-contract.md) minus the fields the emitter computes (checksum, data
 * offset), so a parsed `TcpRepr` can be handed to a connection as it is.
 */
import type { SeqNum } from '@shared/wire/seq';

import type { TcpOption } from '@shared/wire/tcp';

export { TCP_ACK, TCP_CWR, TCP_ECE, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN, TCP_URG } from '@shared/wire/tcp';
export type { TcpOption } from '@shared/wire/tcp';
import { TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN, TCP_URG, TCP_ACK, TCP_ECE, TCP_CWR } from '@shared/wire/tcp';

export interface TcpSegment {
  srcPort: number;
  dstPort: number;
  seq: SeqNum;
  ack: SeqNum;
  flags: number;
  /** Raw 16-bit field, unscaled. */
  window: number;
  urgentPointer: number;
  options: TcpOption[];
  payload: Uint8Array;
}

/** SEG.LEN (RFC 9293 §3.4): payload octets plus one each for SYN and FIN. */
export function segLen(s: { flags: number; payload: Uint8Array }): number {
  return s.payload.length + (s.flags & TCP_SYN ? 1 : 0) + (s.flags & TCP_FIN ? 1 : 0);
}

/**
 * IP ECN codepoints (RFC 3168 §5): the two low bits of the IPv4 TOS byte. The connection says which
 * one each segment it emits carries (`TcpConnectionEnv.output`) and learns the one each arriving
 * segment carried (`handleSegment`).
 */
export const ECN_NOT_ECT = 0;
export const ECN_ECT1 = 1;
export const ECN_ECT0 = 2;
export const ECN_CE = 3;

/** tcpdump-like flag letters: S, F, R, P, ., U, E (ECE), W (CWR). */
export function flagString(flags: number): string {
  let s = '';
  if (flags & TCP_SYN) s += 'S';
  if (flags & TCP_FIN) s += 'F';
  if (flags & TCP_RST) s += 'R';
  if (flags & TCP_PSH) s += 'P';
  if (flags & TCP_URG) s += 'U';
  if (flags & TCP_ACK) s += '.';
  if (flags & TCP_ECE) s += 'E';
  if (flags & TCP_CWR) s += 'W';
  return s;
}

/** Bytes the options take on the wire, padded to 32-bit words the way the emitter lays them out. */
export function optionsLength(options: TcpOption[]): number {
  let n = 0;
  for (const o of options) {
    switch (o.kind) {
      case 'eol':
      case 'nop':
        n += 1;
        break;
      case 'mss':
        n += 4;
        break;
      case 'wscale':
        n += 3;
        break;
      case 'sack-permitted':
        n += 2;
        break;
      case 'sack':
        n += 2 + 8 * o.blocks.length;
        break;
      case 'timestamps':
        n += 10;
        break;
      case 'tfo':
        n += 2 + o.cookie.length;
        break;
      case 'md5':
        n += 2 + o.digest.length;
        break;
      case 'ao':
        n += 4 + o.mac.length;
        break;
      case 'unknown':
        n += 2 + o.data.length;
        break;
    }
  }
  return (n + 3) & ~3;
}
