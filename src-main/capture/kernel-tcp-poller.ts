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
 * `start()` runs one long-lived loop (`bash -c 'while :; do … ss …; sleep …; done'`, inside the
 * namespace via `ip netns exec` when there is one) rather than a spawn per poll: a bulk transfer can
 * keep the stack's event loop busy for hundreds of ms, and each ss run is stamped with the wall clock
 * inside the loop ($EPOCHREALTIME), so samples keep their true times however late they are read.
 * The loop dies with its pipe (SIGPIPE) if this process goes away; `stop()` kills it.
 */
import { execFile, spawn } from 'node:child_process';
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
  /** Starts the poll loop (tests inject one); default: child_process.spawn. */
  spawnLoop?: LoopSpawner;
  /** Epoch ms now, to place the loop's wall-clock stamps on `clock`; default Date.now. */
  wallClock?: () => number;
}

export interface KernelTcpPollerStats {
  polls: number;
  samples: number;
  /** Named failures: `ss-failed`, `parse-error`, `loop-exited`, `netns-not-found`. */
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

/** A long-running child (the poll loop) as the poller needs it; tests inject a fake. */
export interface LoopProcess {
  onData(cb: (chunk: string) => void): void;
  onExit(cb: (code: number | null, stderr: string) => void): void;
  kill(): void;
}

export type LoopSpawner = (cmd: string, args: string[]) => LoopProcess;

const defaultSpawnLoop: LoopSpawner = (cmd, args) => {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d: string) => (stderr = (stderr + d).slice(-4000)));
  let exitCb: ((code: number | null, stderr: string) => void) | null = null;
  child.on('error', (e) => exitCb?.(null, e.message));
  child.on('close', (code) => exitCb?.(code, stderr));
  return {
    onData: (cb) => void child.stdout.on('data', cb),
    onExit: (cb) => void (exitCb = cb),
    kill: () => void child.kill('SIGTERM'),
  };
};

const BEGIN = '@@tcplab-begin ';
const END = '@@tcplab-end ';

export class KernelTcpPoller {
  private readonly clock: Clock;
  private readonly probes: ProbeBus;
  readonly intervalMs: number;
  private readonly run: CommandRunner;
  private readonly spawnLoop: LoopSpawner;
  private readonly wallClock: () => number;
  private stopped = true;
  private loop: LoopProcess | null = null;
  private retry: TimerHandle | null = null;
  private located: { netns: string | null | undefined; atMs: number } | null = null;
  private locatedStale = false;
  /** Stack-clock ms when the loop last saw a socket (for following a moved interface). */
  private lastSeenMs = 0;
  private relocating = false;
  readonly stats: KernelTcpPollerStats = { polls: 0, samples: 0, errors: {}, lastError: null, netns: null };

  constructor(private readonly opts: KernelTcpPollerOptions) {
    this.clock = opts.clock;
    this.probes = opts.probes;
    this.intervalMs = Math.max(10, opts.intervalMs ?? 100);
    this.run = opts.run ?? defaultRun;
    this.spawnLoop = opts.spawnLoop ?? defaultSpawnLoop;
    this.wallClock = opts.wallClock ?? (() => Date.now());
    // The address goes into the loop's shell script: only a dotted quad is accepted.
    if (opts.peer !== undefined && !/^\d{1,3}(\.\d{1,3}){3}$/.test(opts.peer)) throw new RangeError(`kernel poller: peer '${opts.peer}' is not an IPv4 address`);
  }

  /**
   * Starts the poll loop: one long-running `bash` (inside the namespace when there is one) that runs
   * ss, stamps each run with the wall clock ($EPOCHREALTIME) and sleeps. A loop, not a spawn per
   * poll: the stack may keep this event loop busy during a bulk transfer, and the samples keep
   * their true times however late they are read.
   */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    void this.restart();
  }

  /** Stops polling (the loop is killed; samples already read are published). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.clock.clearTimer(this.retry);
    this.retry = null;
    const loop = this.loop;
    this.loop = null;
    loop?.kill();
  }

  private async restart(): Promise<void> {
    if (this.stopped) return;
    const netns = await this.namespace();
    if (this.stopped) return;
    if (netns === undefined) {
      this.fail('netns-not-found', `no network namespace holds interface ${this.opts.followInterface}`);
      this.retryLater();
      return;
    }
    this.stats.netns = netns;
    this.startLoop(netns);
  }

  private retryLater(): void {
    if (this.stopped || this.retry) return;
    this.retry = this.clock.setTimer(this.clock.now() + 1000, () => {
      this.retry = null;
      void this.restart();
    });
  }

  private ssArgs(): string[] {
    return ['-tinoH', ...(this.opts.peer ? ['dst', this.opts.peer] : [])];
  }

  private startLoop(netns: string | null): void {
    const sleep = (this.intervalMs / 1000).toFixed(3);
    // ss's args are fixed words and a dotted quad (checked in the constructor).
    const script = `while :; do printf '${BEGIN}%s\\n' "$EPOCHREALTIME"; ss ${this.ssArgs().join(' ')} 2>&1; printf '${END}%s\\n' "$?"; sleep ${sleep}; done`;
    const [cmd, args] = netns === null ? ['bash', ['-c', script]] : ['ip', ['netns', 'exec', netns, 'bash', '-c', script]];
    const loop = this.spawnLoop(cmd, args);
    this.loop = loop;
    this.lastSeenMs = this.clock.now();
    // Wall clock → stack clock, fixed for this loop.
    const offset = this.wallClock() - this.clock.now();
    let pending = '';
    let block: string[] | null = null;
    let blockT = 0;
    loop.onData((chunk) => {
      if (this.loop !== loop) return;
      pending += chunk;
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        if (line.startsWith(BEGIN)) {
          const epochS = Number(line.slice(BEGIN.length).replace(',', '.'));
          blockT = Number.isFinite(epochS) && epochS > 0 ? epochS * 1000 - offset : this.clock.now();
          block = [];
        } else if (line.startsWith(END)) {
          if (block) this.publishBlock(block.join('\n'), Number(line.slice(END.length)), blockT, `ss ${this.ssArgs().join(' ')}${netns ? ` in ${netns}` : ''}`);
          block = null;
        } else block?.push(line);
      }
    });
    loop.onExit((code, stderr) => {
      if (this.loop !== loop || this.stopped) return;
      this.loop = null;
      this.fail('loop-exited', `${cmd} ${args.slice(0, netns ? 3 : 0).join(' ')} bash: exit ${code}: ${stderr.trim()}`);
      this.located = null;
      this.retryLater();
    });
  }

  /** One ss run's output: parse, publish, and notice when a followed interface may have moved. */
  private publishBlock(text: string, code: number, t: number, what: string): KernelTcpInfo[] {
    this.stats.polls++;
    if (code !== 0) {
      this.fail('ss-failed', `${what}: exit ${code}: ${text.trim()}`);
      return [];
    }
    let socks: KernelTcpInfo[];
    try {
      socks = parseSsTcpInfo(text);
    } catch (e) {
      this.fail('parse-error', (e as Error).message);
      return [];
    }
    const live = socks.filter((s) => s.state === null || DATA_STATES.has(s.state));
    for (const s of live) {
      this.stats.samples++;
      this.probes.publish({ t, layer: 'kernel', kind: 'tcp-info', subject: `${s.local}-${s.peer}`, data: kernelSampleData(s) });
    }
    if (live.length > 0) this.lastSeenMs = this.clock.now();
    else {
      this.locatedStale = true;
      const ifname = this.opts.followInterface;
      if (this.loop && ifname && !this.opts.netns) {
        // Gone from this namespace (a stat, cheap: every run), or quiet for a second (a spawn): look again.
        const leftRoot = this.stats.netns === null && !existsSync(`/sys/class/net/${ifname}`);
        if (leftRoot || this.clock.now() - this.lastSeenMs >= 1000) void this.checkMoved();
      }
    }
    return live;
  }

  /** The followed interface may have moved to another namespace: restart the loop there. */
  private async checkMoved(): Promise<void> {
    if (this.relocating) return;
    this.relocating = true;
    try {
      const before = this.stats.netns;
      const now = await this.namespace(true);
      if (this.stopped || now === before) return;
      const old = this.loop;
      this.loop = null;
      old?.kill();
      if (now === undefined) {
        this.fail('netns-not-found', `no network namespace holds interface ${this.opts.followInterface}`);
        this.retryLater();
      } else {
        this.stats.netns = now;
        this.startLoop(now);
      }
    } finally {
      this.relocating = false;
      this.lastSeenMs = this.clock.now();
    }
  }

  /** One poll now, without the loop (a spawn of ss; for one-off snapshots and tests). */
  async pollOnce(): Promise<KernelTcpInfo[]> {
    const netns = await this.namespace();
    if (netns === undefined) {
      this.stats.polls++;
      this.fail('netns-not-found', `no network namespace holds interface ${this.opts.followInterface}`);
      return [];
    }
    this.stats.netns = netns;
    const ssArgs = this.ssArgs();
    const [cmd, args] = netns === null ? ['ss', ssArgs] : ['ip', ['netns', 'exec', netns, 'ss', ...ssArgs]];
    const before = this.clock.now();
    const r = await this.run(cmd, args);
    // ss reads tcp_info somewhere inside its run: the midpoint is the best estimate of when.
    const t = (before + this.clock.now()) / 2;
    return this.publishBlock(r.code === 0 ? r.stdout : r.stderr, r.code ?? 1, t, `${cmd} ${args.join(' ')}`);
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
  private async namespace(force = false): Promise<string | null | undefined> {
    if (this.opts.netns) return this.opts.netns;
    const ifname = this.opts.followInterface;
    if (!ifname) return null;
    const now = this.clock.now();
    // Trusted while it yields sockets; re-checked at most once a second once it does not.
    if (!force && this.located && (!this.locatedStale || now - this.located.atMs < 1000)) return this.located.netns;
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
}
