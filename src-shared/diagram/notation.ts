/**
 * Segment labels in the notation of the classic texts (Stevens, TCP/IP Illustrated vol. 1, and
 * tcpdump's): `SYN 1000(0) win 4096 <mss 1460>`, `ACK 1001`, `1001:2025(1024) ack 5001 win 4096`,
 * `FIN 2025(0) ack 5001`. Sequence numbers are relative to each side's ISN by default.
 */
import type { LadderOptionsDto, LadderSegmentDto } from '../model/conversation';
import {
  A_ACK_LOST_PACKET,
  A_DUPLICATE_ACK,
  A_FAST_RETRANSMISSION,
  A_KEEP_ALIVE,
  A_KEEP_ALIVE_ACK,
  A_LOST_PACKET,
  A_OUT_OF_ORDER,
  A_RETRANSMISSION,
  A_SACK_OUT_OF_ORDER,
  A_SACK_RETRANSMISSION,
  A_SPURIOUS_RETRANSMISSION,
  A_WINDOW_FULL,
  A_WINDOW_PROBE,
  A_WINDOW_UPDATE,
  A_ZERO_WINDOW,
  A_ZERO_WINDOW_PROBE,
  A_ZERO_WINDOW_PROBE_ACK,
} from '../analysis/types';
import { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN } from '../wire/tcp';

/** What a label shows. */
export interface LabelDetail {
  /** Sequence numbers relative to each side's ISN (default) or absolute. */
  relative: boolean;
  window: boolean;
  options: boolean;
}

export const DEFAULT_LABEL_DETAIL: LabelDetail = { relative: true, window: true, options: true };

/** Analysis flag → badge name (Wireshark's tcp.analysis.* names, shortened). First match wins. */
const BADGES: [number, string][] = [
  [A_SPURIOUS_RETRANSMISSION, 'spurious-retransmission'],
  [A_FAST_RETRANSMISSION, 'fast-retransmission'],
  [A_RETRANSMISSION, 'retransmission'],
  [A_SACK_RETRANSMISSION, 'retransmission'],
  [A_OUT_OF_ORDER, 'out-of-order'],
  [A_SACK_OUT_OF_ORDER, 'out-of-order'],
  [A_LOST_PACKET, 'previous-segment-not-captured'],
  [A_ACK_LOST_PACKET, 'ack-unseen-segment'],
  [A_DUPLICATE_ACK, 'dup-ack'],
  [A_ZERO_WINDOW_PROBE, 'zero-window-probe'],
  [A_WINDOW_PROBE, 'zero-window-probe'],
  [A_ZERO_WINDOW_PROBE_ACK, 'zero-window-probe-ack'],
  [A_ZERO_WINDOW, 'zero-window'],
  [A_WINDOW_FULL, 'window-full'],
  [A_WINDOW_UPDATE, 'window-update'],
  [A_KEEP_ALIVE, 'keep-alive'],
  [A_KEEP_ALIVE_ACK, 'keep-alive-ack'],
];

/** Badge names of a segment's analysis flags, deduplicated, in the order above. */
export function badgesOf(analysisFlags: number): string[] {
  if (analysisFlags === 0) return [];
  const out: string[] = [];
  for (const [bit, name] of BADGES) if ((analysisFlags & bit) !== 0 && !out.includes(name)) out.push(name);
  return out;
}

const u32 = (n: number): number => n >>> 0;

/** a < b in sequence space (RFC 9293 §3.4: modulo 2^32). */
const seqBefore = (a: number, b: number): boolean => ((a - b) | 0) < 0;

/**
 * RFC 2883 §4: the first SACK block reports a duplicate (a D-SACK) when it lies below the
 * cumulative ACK, or inside the second block. `ack` is absent on a segment without ACK.
 */
export function firstSackBlockIsDsack(sack: readonly number[], ack: number | undefined): boolean {
  if (sack.length < 2) return false;
  const left = sack[0]!;
  const right = sack[1]!;
  if (ack !== undefined && seqBefore(left, ack)) return true;
  if (sack.length < 4) return false;
  return !seqBefore(left, sack[2]!) && !seqBefore(sack[3]!, right);
}

function optionsText(o: LadderOptionsDto, sackBase: number, ack: number | undefined): string {
  const parts: string[] = [];
  if (o.mss !== undefined) parts.push(`mss ${o.mss}`);
  if (o.wscale !== undefined) parts.push(`wscale ${o.wscale}`);
  if (o.sackOk) parts.push('sackOK');
  if (o.ts) parts.push(`ts ${o.ts[0]} ${o.ts[1]}`);
  if (o.sack && o.sack.length >= 2) {
    const block = (i: number): string => `${u32(o.sack![i]! - sackBase)}:${u32(o.sack![i + 1]! - sackBase)}`;
    // A D-SACK is named apart (as Wireshark's "D-SACK"): it reports a duplicate, not a hole's edge.
    let first = 0;
    if (firstSackBlockIsDsack(o.sack, ack)) {
      parts.push(`dsack ${block(0)}`);
      first = 2;
    }
    const blocks: string[] = [];
    for (let i = first; i + 1 < o.sack.length; i += 2) blocks.push(block(i));
    if (blocks.length > 0) parts.push(`sack ${blocks.join(' ')}`);
  }
  return parts.length === 0 ? '' : ` <${parts.join(',')}>`;
}

/**
 * The label of one segment. `isn` = [A's ISN, B's ISN]; with `relative`, the sender's sequence
 * numbers count from its ISN and the acknowledgment (and SACK edges) from the receiver's.
 */
export function segmentLabel(s: LadderSegmentDto, isn: readonly [number, number], detail: LabelDetail = DEFAULT_LABEL_DETAIL): string {
  const own = detail.relative ? isn[s.dir] : 0;
  const peer = detail.relative ? isn[1 - s.dir]! : 0;
  const seq = u32(s.seq - own);
  const ack = u32(s.ack - peer);
  const syn = (s.flags & TCP_SYN) !== 0;
  const fin = (s.flags & TCP_FIN) !== 0;
  const rst = (s.flags & TCP_RST) !== 0;
  const hasAck = (s.flags & TCP_ACK) !== 0;
  const words: string[] = [];
  if (syn) words.push('SYN');
  if (fin) words.push('FIN');
  if (rst) words.push('RST');
  let text = words.join(',');
  // SYN and FIN occupy one sequence number each (RFC 9293 §3.4); the (len) stays the payload.
  if (s.len > 0) text += `${text ? ' ' : ''}${seq}:${u32(seq + s.len)}(${s.len})`;
  else if (words.length > 0) text += ` ${seq}(0)`;
  if (hasAck) text += text === '' ? `ACK ${ack}` : ` ack ${ack}`;
  if (text === '') text = `${seq}(0)`;
  if (detail.window) text += ` win ${s.win}`;
  if (detail.options && s.opts) text += optionsText(s.opts, detail.relative ? peer : 0, hasAck ? s.ack : undefined);
  return text;
}
