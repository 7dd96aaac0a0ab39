/**
 * Polls the Linux kernel's own TCP state (`ss -tinoH`) every N ms and publishes one probe event per
 * socket and poll, so a view can draw the kernel peer's cwnd beside tcplab's true cwnd when the peer
 * is local (the kernel side of tcplab's TAP, in the root namespace or in a network namespace).
 *
 * Events: layer `kernel`, kind `tcp-info`, subject `LOCAL-PEER` as the kernel sees the socket (the
 * same `A:port-B:port` shape as the stack's own subjects, so the kernel's sending direction of a
 * conversation is `${sender}-${receiver}` like tcplab's). `data.origin` is `'kernel'` and
 * `data.via` `'ss'`: these values are sampled, not every change (the kernel does not report each
 * ACK), so a view must label them as polled. cwnd and ssthresh are given in bytes (segments × mss,
 * comparable with tcplab's byte-counted cwnd) and in segments as the kernel counts them.
 *
 * `ss` runs as a child process (never synchronously: the stack shares this event loop); a poll that
 * is still running when the next is due is skipped and counted (`skipped-busy`), never stacked.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Clock, TimerHandle } from '@shared/sim/clock';
import type { ProbeBus, ProbeValue } from '@shared/model/probe';
import { parseSsTcpInfo, type KernelTcpInfo } from './ss-tcp-info';

export interface CommandResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export type CommandRunner = (cmd: string, args: string[]) => Promise<CommandResult>;

export interface KernelTcpPollerOptions {
  clock: Clock;
  probes: ProbeBus;
  /** Poll period; default 100 ms (ss takes ~3 ms of CPU per run). */
  intervalMs?: number;
  /** Only sockets towards this IPv4 address (tcplab's), as `ss … dst ADDR`. */
  peer?: string;
  /** Run ss inside this network namespace (`ip netns exec NS ss …`; needs root). */
  netns?: string;
  /**
   * Follow this interface (the TAP's kernel side): ss runs in whichever namespace holds it now — the
   * root one if /sys/class/net/NAME exists, else the named namespace (`ip netns list`) that has it.
   * Re-checked when a poll finds no socket, at most once a second. Ignored when `netns` is given.
   */
  followInterface?: string;
  /** Runs a command (tests inject one); default: execFile with a 5 s timeout. */
  run?: CommandRunner;
}

export interface KernelTcpPollerStats {
  polls: number;
  samples: number;
  /** Named failures: `ss-failed`, `parse-error`, `skipped-busy`, `netns-not-found`. */
  errors: Record<string, number>;
  lastError: string | null;
  /** The namespace ss ran in last (null = the root namespace). */
  netns: string | null;
}

const defaultRun: CommandRunner = (cmd, args) =>
  new Promise((resolve) => {
    execFile(cmd, args, { timeout: 5000, maxBuffer: 16 << 20, encoding: 'utf8' }, (err, stdout, stderr) => {
      // A missing ss has a string code (ENOENT): report it as a failed run with the message.
      const c = (err as { code?: unknown } | null)?.code;
      const code = err ? (typeof c === 'number' ? c : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: err && !stderr ? err.message : String(stderr) });
    });
  });

/** States in which a socket moves data and its cwnd means something. */
const DATA_STATES = new Set(['ESTAB', 'FIN-WAIT-1', 'FIN-WAIT-2', 'CLOSE-WAIT', 'LAST-ACK', 'CLOSING']);

/** The probe `data` of one sample: flat, serialisable, bytes and ms. */
export function kernelSampleData(s: KernelTcpInfo): Record<string, ProbeValue> {
  const mss = s.mss ?? null;
  return {
    origin: 'kernel',
    via: 'ss',
    state: s.state,
    algorithm: s.congestion,
    cwnd: s.cwnd !== null && mss !== null ? s.cwnd * mss : null,
    cwndSegments: s.cwnd,
    ssthresh: s.ssthresh !== null && mss !== null ? s.ssthresh * mss : null,
    ssthreshSegments: s.ssthresh,
    mss,
    rttMs: s.rttMs,
    rttVarMs: s.rttVarMs,
    minRttMs: s.minRttMs,
    rtoMs: s.rtoMs,
    backoff: s.backoff,
    bytesSent: s.bytesSent,
    bytesAcked: s.bytesAcked,
    bytesReceived: s.bytesReceived,
    bytesRetrans: s.bytesRetrans,
    unacked: s.unacked,
    retrans: s.retrans,
    retransTotal: s.retransTotal,
    lost: s.lost,
    sacked: s.sacked,
    deliveryRateBps: s.deliveryRateBps,
    pacingRateBps: s.pacingRateBps,
    appLimited: s.appLimited,
    notSent: s.notSent,
    sndWnd: s.sndWnd,
  };
}

export class KernelTcpPoller {
  private readonly clock: Clock;
  private readonly probes: ProbeBus;
  readonly intervalMs: number;
  private readonly run: CommandRunner;
  private timer: TimerHandle | null = null;
  private inFlight: Promise<void> | null = null;
  private stopped = true;
  private located: { netns: string | null | undefined; atMs: number } | null = null;
  private locatedStale = false;
  readonly stats: KernelTcpPollerStats = { polls: 0, samples: 0, errors: {}, lastError: null, netns: null };

  constructor(private readonly opts: KernelTcpPollerOptions) {
    this.clock = opts.clock;
    this.probes = opts.probes;
    this.intervalMs = Math.max(10, opts.intervalMs ?? 100);
    this.run = opts.run ?? defaultRun;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule(this.clock.now());
  }

  /** Stops polling; resolves when a poll in flight has finished (its samples are still published). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.clock.clearTimer(this.timer);
    this.timer = null;
    await this.inFlight;
  }

  /** One poll now (also what the timer calls). */
  async pollOnce(): Promise<KernelTcpInfo[]> {
    this.stats.polls++;
    const netns = await this.namespace();
    if (netns === undefined) {
      this.fail('netns-not-found', `no network namespace holds interface ${this.opts.followInterface}`);
      return [];
    }
    this.stats.netns = netns;
    const ssArgs = ['-tinoH', ...(this.opts.peer ? ['dst', this.opts.peer] : [])];
    const [cmd, args] = netns === null ? ['ss', ssArgs] : ['ip', ['netns', 'exec', netns, 'ss', ...ssArgs]];
    const before = this.clock.now();
    const r = await this.run(cmd, args);
    // ss reads tcp_info somewhere inside its run: the midpoint is the best estimate of when.
    const t = (before + this.clock.now()) / 2;
    if (r.code !== 0) {
      this.fail('ss-failed', `${cmd} ${args.join(' ')}: exit ${r.code}: ${r.stderr.trim()}`);
      return [];
    }
    let socks: KernelTcpInfo[];
    try {
      socks = parseSsTcpInfo(r.stdout);
    } catch (e) {
      this.fail('parse-error', (e as Error).message);
      return [];
    }
    const live = socks.filter((s) => s.state === null || DATA_STATES.has(s.state));
    if (live.length === 0) this.locatedStale = true;
    for (const s of live) {
      this.stats.samples++;
      this.probes.publish({ t, layer: 'kernel', kind: 'tcp-info', subject: `${s.local}-${s.peer}`, data: kernelSampleData(s) });
    }
    return live;
  }

  private fail(reason: string, message: string): void {
    this.stats.errors[reason] = (this.stats.errors[reason] ?? 0) + 1;
    if (this.stats.lastError !== message) {
      // Published once per distinct message, so a view can say why the kernel curve is missing.
      this.probes.publish({ t: this.clock.now(), layer: 'kernel', kind: 'poll-error', data: { origin: 'kernel', via: 'ss', reason, message } });
    }
    this.stats.lastError = message;
  }

  /** null = root namespace, a name, or undefined when the followed interface is nowhere. */
  private async namespace(): Promise<string | null | undefined> {
    if (this.opts.netns) return this.opts.netns;
    const ifname = this.opts.followInterface;
    if (!ifname) return null;
    const now = this.clock.now();
    // Trusted while it yields sockets; re-checked at most once a second once it does not.
    if (this.located && (!this.locatedStale || now - this.located.atMs < 1000)) return this.located.netns;
    let found: string | null | undefined = undefined;
    if (existsSync(`/sys/class/net/${ifname}`)) found = null;
    else {
      const list = await this.run('ip', ['netns', 'list']);
      for (const line of list.code === 0 ? list.stdout.split('\n') : []) {
        const name = line.trim().split(/\s+/)[0];
        if (!name) continue;
        const probe = await this.run('ip', ['-n', name, 'link', 'show', 'dev', ifname]);
        if (probe.code === 0) {
          found = name;
          break;
        }
      }
    }
    this.located = { netns: found, atMs: now };
    this.locatedStale = found === undefined;
    return found;
  }

  private schedule(at: number): void {
    if (this.stopped) return;
    this.timer = this.clock.setTimer(at, () => {
      this.timer = null;
      if (this.stopped) return;
      const next = at + this.intervalMs;
      if (this.inFlight) {
        this.stats.errors['skipped-busy'] = (this.stats.errors['skipped-busy'] ?? 0) + 1;
      } else {
        this.inFlight = this.pollOnce()
          .then(() => undefined)
          .finally(() => {
            this.inFlight = null;
          });
      }
      // Fixed cadence; if the loop fell behind, continue from now rather than firing a burst.
      this.schedule(Math.max(next, this.clock.now()));
    });
  }
}
