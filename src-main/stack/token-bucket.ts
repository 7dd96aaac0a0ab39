import type { Clock } from '@shared/sim/clock';

/**
 * A token bucket for ICMP error rate limiting (RFC 1812 §4.3.2.8 recommends a token bucket;
 * Linux uses one too: net.ipv4.icmp_msgs_per_sec = 1000, icmp_msgs_burst = 50).
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly clock: Clock,
    readonly ratePerSecond: number,
    readonly burst: number,
  ) {
    this.tokens = burst;
    this.last = clock.now();
  }

  take(): boolean {
    const now = this.clock.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) * this.ratePerSecond) / 1000);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
