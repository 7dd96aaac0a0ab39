/**
 * Decoded views of a run's frames for expectations and results: each frame decoded once (wire),
 * cached per run.
 */
import { decodePacket, type DecodedPacket } from '@shared/wire/decode';
import { TCP_ACK, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN } from '@shared/wire/tcp';
import type { LabFrame, LabRun } from './types';

export interface SeenFrame {
  frame: LabFrame;
  pkt: DecodedPacket;
}

const cache = new WeakMap<readonly LabFrame[], SeenFrame[]>();

export function decodedFrames(run: Pick<LabRun, 'frames'>): SeenFrame[] {
  let out = cache.get(run.frames);
  if (!out) {
    out = run.frames.map((frame) => ({ frame, pkt: decodePacket(1, frame.data) }));
    cache.set(run.frames, out);
  }
  return out;
}

/** Frames one host sent (tx) or received (rx). */
export function framesAt(run: Pick<LabRun, 'frames'>, host: string, dir: 'tx' | 'rx'): SeenFrame[] {
  return decodedFrames(run).filter((f) => f.frame.host === host && f.frame.dir === dir);
}

/** TCP segments one host sent, in order. */
export function tcpSent(run: Pick<LabRun, 'frames'>, host: string): SeenFrame[] {
  return framesAt(run, host, 'tx').filter((f) => f.pkt.tcp !== undefined);
}

/** tcpdump-style flags: S, F, R, P, '.', e.g. 'S.' for SYN-ACK. */
export function tcpFlags(f: SeenFrame): string {
  const fl = f.pkt.tcp?.flags ?? 0;
  let s = '';
  if (fl & TCP_SYN) s += 'S';
  if (fl & TCP_FIN) s += 'F';
  if (fl & TCP_RST) s += 'R';
  if (fl & TCP_PSH) s += 'P';
  if (fl & TCP_ACK) s += '.';
  return s || 'none';
}

export function has(f: SeenFrame, flag: number): boolean {
  return ((f.pkt.tcp?.flags ?? 0) & flag) !== 0;
}

/** A check result helper. */
export function expect(ok: boolean, detail: string): { ok: boolean; detail: string } {
  return { ok, detail };
}
