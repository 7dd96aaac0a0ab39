import type { CongestionOptions } from './types';

/**
 * The initial window in bytes.
 * RFC 5681 §3.1 (same as RFC 3390): IW = min(4*SMSS, max(2*SMSS, 4380 bytes)).
 * RFC 6928: IW = min(10*SMSS, max(2*SMSS, 14600 bytes)).
 */
export function initialWindowBytes(mss: number, iw: CongestionOptions['initialWindow'] = 'rfc5681'): number {
  if (iw === 'rfc6928') return Math.min(10 * mss, Math.max(2 * mss, 14600));
  if (typeof iw === 'number') return Math.max(1, Math.floor(iw)) * mss;
  return Math.min(4 * mss, Math.max(2 * mss, 4380));
}

/** RFC 5681 eq. (4): ssthresh = max(FlightSize / 2, 2*SMSS). */
export function halfFlight(flightSize: number, mss: number): number {
  return Math.max(Math.floor(flightSize / 2), 2 * mss);
}

/**
 * Linux's tcp_is_cwnd_limited() for slow start: cwnd grows only while it is less than twice what is
 * in flight. A sender held back by the receive window (or by the application) would otherwise raise
 * cwnd without bound, and the first time the window opens it would burst. `flightSize` 0 means
 * "not given" (pure unit tests) and does not limit.
 */
export function cwndLimited(s: { flightSize: number }, cwnd: number): boolean {
  return s.flightSize <= 0 || 2 * s.flightSize >= cwnd;
}
