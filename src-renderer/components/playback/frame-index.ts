/** Index of the last frame at or before time t (binary search over FrameSummary.t), -1 when none. */
export function frameIndexAt(frames: readonly { t: number }[], t: number): number {
  let lo = 0;
  let hi = frames.length - 1;
  if (hi < 0 || frames[0]!.t > t) return -1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (frames[mid]!.t <= t) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}
