/**
 * `tcplab stack`: runs tcplab's own TCP/IP stack on a TAP until SIGINT/SIGTERM, so the Linux
 * kernel (ping, nc, socat, curl) can talk to it. Impairment flags wrap the TAP in the seeded fault
 * injector (this kernel has no netem); --pcap records every frame with its cause.
 */
import { writeFileAtomic } from '../../capture/atomic-file';
import { SeededRandom } from '@shared/sim/random';
import { CliUsageError, type CliCommand, type CliIo, type ParsedArgs } from '../command';
import { TapDevice, TapError } from '../../link/tap';
import { RealClock } from '../../link/real-clock';
import { FaultInjector } from '../../link/fault-injector';
import { PcapngRecorder } from '../../link/pcapng-recorder';
import { Tracer } from '../../link/tracer';
import { ProbeBus, type ProbeEvent } from '@shared/model/probe';
import { isTransparent, validateImpairment, type ImpairmentConfig } from '../../link/impairment';
import type { Device } from '../../link/device';
import { PcapngWriter } from '../../capture/writer';
import { Stack } from '../../stack/stack';
import { parseCidr, isValidMac } from '../../stack/interface';
import { serviceNames, startServices } from '../../stack/services';
// Registers the TCP services (echo, discard, chargen, http) next to the UDP ones.
import '../../stack/tcp/services';
import { parseConnect, runTcpClientCli } from '../tcp-client';
import { parseIpv4 } from '@shared/wire/address';
import { KernelTcpPoller } from '../../capture/kernel-tcp-poller';
import { LiveCcRecorder, type LiveCcReport } from '../../session/live-cc';

/** Ethernet link type for the pcapng interface (LINKTYPE_ETHERNET). */
const LINKTYPE_ETHERNET = 1;

export interface StackRunOptions {
  tap: string;
  ip: string;
  gateway?: string;
  mac?: string;
  mtu?: number;
  serve: string[];
  pcap?: string;
  create: boolean;
  impairment: ImpairmentConfig;
  /** net.ipv4.tcp_ecn for the stack's TCP (0 off, 1 request and accept, 2 accept; default 2). */
  ecn?: 0 | 1 | 2;
  /** One ACK per TAP read batch (TcpLayerOptions.ackPerBatch; stretch ACKs, off by default). */
  ackPerBatch?: boolean;
  seed: number;
  /** Print every probe event (frames, ARP, IP, ICMP, UDP, TCP, drops) as one line. */
  trace?: boolean;
}

function probability(args: ParsedArgs, name: string): number | undefined {
  const v = args.options[name] as number | undefined;
  if (v === undefined) return undefined;
  if (!(v >= 0 && v <= 1)) throw new CliUsageError(`--${name} expects a probability between 0 and 1, got ${v}`);
  return v;
}

function nonNegative(args: ParsedArgs, name: string): number | undefined {
  const v = args.options[name] as number | undefined;
  if (v === undefined) return undefined;
  if (!(v >= 0)) throw new CliUsageError(`--${name} expects a number >= 0, got ${v}`);
  return v;
}

export function parseStackArgs(args: ParsedArgs): StackRunOptions {
  const tap = args.options.tap as string | undefined;
  const ip = args.options.ip as string | undefined;
  if (!tap) throw new CliUsageError('missing --tap NAME');
  if (!ip) throw new CliUsageError('missing --ip ADDR/LEN (e.g. --ip 192.0.2.2/24)');
  try {
    parseCidr(ip);
  } catch (e) {
    throw new CliUsageError((e as Error).message);
  }
  const gateway = args.options.gw as string | undefined;
  if (gateway !== undefined) {
    try {
      parseIpv4(gateway);
    } catch (e) {
      throw new CliUsageError(`--gw: ${(e as Error).message}`);
    }
  }
  const mac = (args.options.mac as string | undefined)?.toLowerCase();
  if (mac !== undefined && !isValidMac(mac)) throw new CliUsageError(`--mac '${mac}' is not of the form 02:00:00:00:00:01`);
  if (mac !== undefined && (parseInt(mac.slice(0, 2), 16) & 1) !== 0) throw new CliUsageError(`--mac '${mac}' is a multicast address`);
  const mtu = args.options.mtu as number | undefined;
  if (mtu !== undefined && !(Number.isInteger(mtu) && mtu >= 68 && mtu <= 65535)) throw new CliUsageError(`--mtu expects 68..65535, got ${mtu}`);
  const serve = ((args.options.serve as string[] | undefined) ?? []).flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean);
  const known = serviceNames();
  for (const s of serve) {
    const name = s.split(':')[0]!;
    if (!known.includes(name)) throw new CliUsageError(`--serve: unknown service '${name}' (known: ${known.join(', ')})`);
  }
  const delay = nonNegative(args, 'delay');
  const jitter = nonNegative(args, 'jitter');
  const impairment: ImpairmentConfig = {
    loss: probability(args, 'loss'),
    delayMs: delay,
    jitterMs: jitter,
    reorder: probability(args, 'reorder'),
    duplicate: probability(args, 'dup'),
    corrupt: probability(args, 'corrupt'),
  };
  const rate = args.options.rate as number | undefined;
  if (rate !== undefined) {
    if (!(rate > 0 && Number.isFinite(rate))) throw new CliUsageError(`--rate expects a positive number of Mbit/s, got ${rate}`);
    impairment.bandwidthBps = rate * 1e6;
  }
  const ceMark = args.options['ce-mark'] as number | undefined;
  if (ceMark !== undefined) {
    if (rate === undefined) throw new CliUsageError('--ce-mark needs --rate (the queue it watches only exists at a limited rate)');
    if (!(ceMark >= 0 && Number.isFinite(ceMark))) throw new CliUsageError(`--ce-mark expects a queue length in bytes >= 0, got ${ceMark}`);
    impairment.ceMarking = { minBytes: ceMark };
  }
  const ecn = args.options.ecn as number | undefined;
  if (ecn !== undefined && ecn !== 0 && ecn !== 1 && ecn !== 2) throw new CliUsageError(`--ecn expects 0 (off), 1 (request and accept) or 2 (accept only), got ${ecn}`);
  const burst = args.options['burst-loss'] as string | undefined;
  if (burst !== undefined) {
    const parts = burst.split(',').map((x) => Number(x.trim()));
    if (parts.length !== 2 || parts.some((x) => !(x >= 0 && x <= 1))) {
      throw new CliUsageError(`--burst-loss expects PGB,PBG (two probabilities, good→bad and bad→good), got '${burst}'`);
    }
    if (impairment.loss !== undefined) throw new CliUsageError('--loss and --burst-loss exclude each other');
    impairment.gilbertElliott = { pGoodToBad: parts[0]!, pBadToGood: parts[1]! };
  }
  for (const k of Object.keys(impairment) as (keyof ImpairmentConfig)[]) if (impairment[k] === undefined) delete impairment[k];
  try {
    validateImpairment(impairment);
  } catch (e) {
    throw new CliUsageError((e as Error).message);
  }
  const seedOpt = args.options.seed as number | undefined;
  if (seedOpt !== undefined && !Number.isInteger(seedOpt)) throw new CliUsageError(`--seed expects an integer, got ${seedOpt}`);
  return {
    tap,
    ip,
    gateway,
    mac,
    mtu,
    serve,
    pcap: args.options.pcap as string | undefined,
    create: args.options.create === true,
    impairment,
    ...(ecn !== undefined ? { ecn } : {}),
    ...(args.options['ack-per-batch'] === true ? { ackPerBatch: true } : {}),
    seed: seedOpt ?? (Math.random() * 0x7fffffff) | 0,
    trace: args.options.trace === true,
  };
}

/** `--kernel-cwnd [--netns NS] [--poll-ms MS]` and `--json FILE`: the live congestion record. */
export interface LiveCcOptions {
  kernelCwnd: boolean;
  netns?: string;
  pollMs: number;
  json?: string;
}

export function parseLiveCcArgs(args: ParsedArgs): LiveCcOptions {
  const kernelCwnd = args.options['kernel-cwnd'] === true;
  const netns = args.options.netns as string | undefined;
  const pollMs = args.options['poll-ms'] as number | undefined;
  if (!kernelCwnd && netns !== undefined) throw new CliUsageError('--netns only applies with --kernel-cwnd (where ss runs)');
  if (!kernelCwnd && pollMs !== undefined) throw new CliUsageError('--poll-ms only applies with --kernel-cwnd');
  if (netns !== undefined && !/^[\w.-]{1,64}$/.test(netns)) throw new CliUsageError(`--netns expects a namespace name, got '${netns}'`);
  if (pollMs !== undefined && !(Number.isInteger(pollMs) && pollMs >= 10 && pollMs <= 60_000)) throw new CliUsageError(`--poll-ms expects 10..60000, got ${pollMs}`);
  if (args.options.cc !== undefined && args.options.connect === undefined) throw new CliUsageError('--cc sets the congestion control of the --connect client; add --connect HOST:PORT');
  const json = args.options.json as string | undefined;
  return { kernelCwnd, pollMs: pollMs ?? 100, ...(netns !== undefined ? { netns } : {}), ...(json !== undefined ? { json } : {}) };
}

/** Writes JSON atomically (via `<path>.partial`), so a failed run never leaves half a file. */
function writeJsonAtomic(path: string, value: unknown): void {
  writeFileAtomic(path, JSON.stringify(value) + '\n');
}

/** Two lines for the terminal: tcplab's recovery events and the kernel's polled cwnd. */
export function formatLiveCcSummary(r: LiveCcReport): string {
  const lines: string[] = [];
  for (const s of r.tcplab) {
    const counts: Record<string, number> = {};
    for (const e of r.events) if (e.subject === s.subject) counts[e.event] = (counts[e.event] ?? 0) + 1;
    const ev = Object.entries(counts).map(([k, v]) => `${k} ${v}`).join(', ') || 'none';
    lines.push(`tcplab cc ${s.subject} ${s.algorithm ?? '?'}: ${s.t.length} cwnd points, max ${Math.max(0, ...s.cwnd)} bytes; recovery events: ${ev}`);
  }
  for (const k of r.kernel) {
    const last = k.retransTotal[k.retransTotal.length - 1] ?? 0;
    lines.push(`kernel cwnd (ss) ${k.subject} ${k.algorithm ?? '?'}: ${k.t.length} samples, max ${Math.max(0, ...k.cwnd)} bytes, retrans ${last}`);
  }
  if (r.poller && r.kernel.length === 0) lines.push(`kernel cwnd (ss): no samples${r.kernelErrors.length ? ` (${r.kernelErrors[r.kernelErrors.length - 1]})` : ''}`);
  return lines.map((l) => l + '\n').join('');
}

/** A running stack behind the CLI (also what tests drive). */
export interface RunningStack {
  stack: Stack;
  device: Device;
  readyLine: string;
  /** Counters (stack + devices) as text. */
  report(): string;
  stop(): Promise<void>;
}

/** One probe event as a line: `12.345 ms #17<-16 ipv4 packet-in tap0 src=192.0.2.1 …`. */
export function formatProbeEvent(e: ProbeEvent): string {
  const data = Object.entries(e.data)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  return `${e.t.toFixed(3)} ms #${e.id}${e.causeId !== undefined ? `<-${e.causeId}` : ''} ${e.layer} ${e.kind}${e.subject ? ` ${e.subject}` : ''}${data ? ` ${data}` : ''}`;
}

export async function startStack(o: StackRunOptions, out?: (line: string) => void): Promise<RunningStack> {
  const clock = new RealClock();
  const probes = new ProbeBus();
  if (o.trace && out) probes.subscribe((e) => out(formatProbeEvent(e)));
  const random = new SeededRandom(o.seed);
  const tap = await TapDevice.open(o.tap, { create: o.create, mtu: o.mtu });
  let device: Device = tap;
  try {
    // Each direction gets the same impairments (netem would apply them on one egress only).
    if (!isTransparent(o.impairment)) device = new FaultInjector(device, { clock, random: random.fork(), tx: o.impairment, rx: o.impairment });
    if (o.pcap) {
      const writer = PcapngWriter.create(o.pcap, {
        comments: [`tcplab stack --tap ${o.tap} --ip ${o.ip}`],
        interfaces: [{ linkType: LINKTYPE_ETHERNET, name: o.tap, tsResolution: 'us' }],
      });
      // pcap timestamps are wall-clock: epoch at the clock's origin.
      device = new PcapngRecorder(device, writer, { clock, epochOffsetMs: Date.now() - clock.now() });
    }
    if (o.trace) device = new Tracer(device, probes, clock);
  } catch (e) {
    await tap.close();
    throw e;
  }
  const stack = new Stack({ clock, random: random.fork(), probes, wallClock: () => Date.now() });
  let ifc;
  try {
    ifc = stack.addInterface({ device, ipv4: o.ip, mac: o.mac, mtu: o.mtu, gateway: o.gateway });
    if (o.ecn !== undefined) stack.tcp.options.config.ecn = o.ecn;
    if (o.ackPerBatch) stack.tcp.options.ackPerBatch = true;
    startServices(stack, o.serve);
  } catch (e) {
    await stack.close();
    throw e;
  }
  const services = o.serve.length ? ` serving ${o.serve.join(',')}` : '';
  const imp = Object.entries(o.impairment)
    .map(([k, v]) => (k === 'ceMarking' ? `ceMark=${(v as { minBytes: number }).minBytes}` : typeof v === 'object' ? `burstLoss=${v.pGoodToBad},${v.pBadToGood}` : `${k}=${v}`))
    .join(' ');
  const readyLine =
    `tcplab stack: ready on ${o.tap}${tap.created ? ' (created)' : ''} ${ifc.mac} ${o.ip}` +
    `${o.gateway ? ` gw ${o.gateway}` : ''} mtu ${ifc.mtu}${services}${imp ? ` impair ${imp} seed ${o.seed}` : ''}${o.pcap ? ` pcap ${o.pcap}` : ''}`;
  return {
    stack,
    device,
    readyLine,
    report() {
      const d = device.stats();
      const lines = [stack.counters.format()];
      lines.push(`device.rx.frames  ${d.rxFrames}`, `device.tx.frames  ${d.txFrames}`);
      for (const [k, v] of Object.entries(d.drops)) lines.push(`device.drop.${k}  ${v}`);
      for (const [k, v] of Object.entries(d.extra ?? {})) lines.push(`device.${k}  ${v}`);
      return lines.join('\n') + '\n';
    },
    async stop() {
      await stack.close();
      clock.clearAll();
    },
  };
}

export const stackCommand: CliCommand = {
  name: 'stack',
  summary: "Run tcplab's TCP/IP stack on a TAP so the kernel can ping and talk to it",
  usage:
    'stack --tap NAME --ip ADDR/LEN [--gw ADDR] [--mac MAC] [--mtu N] [--serve echo,discard,chargen,daytime] [--pcap FILE] [--create]\n' +
    '       [--loss P | --burst-loss PGB,PBG] [--delay MS] [--jitter MS] [--reorder P] [--dup P] [--corrupt P] [--rate MBPS [--ce-mark BYTES]] [--ecn 0|1|2] [--ack-per-batch] [--seed N] [--trace]\n' +
    '       [--connect HOST:PORT [--send N|FILE] [--recv FILE] [--cc NAME]] [--kernel-cwnd [--netns NS] [--poll-ms MS]] [--json FILE]',
  options: [
    { name: 'tap', type: 'string', valueName: 'NAME', description: 'TAP interface to attach to (create it once: sudo ip tuntap add dev NAME mode tap user $USER)' },
    { name: 'ip', type: 'string', valueName: 'ADDR/LEN', description: "The stack's IPv4 address and prefix, e.g. 192.0.2.2/24" },
    { name: 'gw', type: 'string', valueName: 'ADDR', description: 'Default gateway' },
    { name: 'mac', type: 'string', valueName: 'MAC', description: "The stack's MAC (default: random 02:xx:…, locally administered)" },
    { name: 'mtu', type: 'number', valueName: 'N', description: 'MTU (default: the TAP interface MTU)' },
    { name: 'serve', type: 'list', valueName: 'LIST', description: `Services to run, comma-separated, NAME[:PORT] (known: ${serviceNames().join(', ')})` },
    { name: 'pcap', type: 'string', valueName: 'FILE', description: 'Record every frame (with its cause) to a pcapng file' },
    { name: 'create', type: 'boolean', description: 'Create the TAP if missing (needs CAP_NET_ADMIN; removed on exit)' },
    { name: 'loss', type: 'number', valueName: 'P', description: 'Drop each frame (both directions) with probability P' },
    { name: 'burst-loss', type: 'string', valueName: 'PGB,PBG', description: 'Gilbert–Elliott burst loss: P(good→bad),P(bad→good) per frame; every frame in the bad state is lost' },
    { name: 'delay', type: 'number', valueName: 'MS', description: 'Delay each frame (both directions) by MS' },
    { name: 'jitter', type: 'number', valueName: 'MS', description: 'Add 0..MS random delay per frame' },
    { name: 'reorder', type: 'number', valueName: 'P', description: 'Hold back a frame with probability P so later ones overtake it' },
    { name: 'dup', type: 'number', valueName: 'P', description: 'Duplicate a frame with probability P' },
    { name: 'corrupt', type: 'number', valueName: 'P', description: 'Flip one bit of a frame with probability P' },
    { name: 'rate', type: 'number', valueName: 'MBPS', description: 'Limit each direction to MBPS Mbit/s behind a 64 KiB tail-drop queue' },
    { name: 'ce-mark', type: 'number', valueName: 'BYTES', description: 'With --rate: RED-like AQM, ECN-capable packets that find BYTES or more queued are marked CE, others dropped (RFC 3168 §5)' },
    { name: 'ecn', type: 'number', valueName: 'N', description: "ECN in the stack's TCP, as net.ipv4.tcp_ecn: 0 off, 1 request and accept, 2 accept only (default)" },
    { name: 'ack-per-batch', type: 'boolean', description: 'One ACK per TAP read batch (at most 64 KiB unacknowledged) instead of one per two full segments: stretch ACKs as Linux sends under GRO, less CPU for bulk receiving; off by default (RFC 5681 §4.2)' },
    { name: 'connect', type: 'string', valueName: 'HOST:PORT', description: 'TCP client: connect, send (--send), read until EOF (--recv), print a summary, exit' },
    { name: 'send', type: 'string', valueName: 'N|FILE', description: 'With --connect: send N generated bytes or the contents of FILE, then SHUT_WR' },
    { name: 'recv', type: 'string', valueName: 'FILE', description: 'With --connect: write what arrives to FILE' },
    { name: 'cc', type: 'string', valueName: 'NAME', description: 'With --connect: congestion control of the client (reno, newreno, cubic, vegas; default cubic)' },
    { name: 'kernel-cwnd', type: 'boolean', description: "Poll the local Linux peer's cwnd, ssthresh, RTT (ss -tin) beside tcplab's own cwnd" },
    { name: 'netns', type: 'string', valueName: 'NS', description: "With --kernel-cwnd: run ss in this network namespace (default: wherever the TAP's kernel side is)" },
    { name: 'poll-ms', type: 'number', valueName: 'MS', description: 'With --kernel-cwnd: poll period (default 100)' },
    { name: 'json', type: 'string', valueName: 'FILE', description: "Write tcplab's cwnd series and recovery events and the kernel's polled cwnd series as JSON at exit" },
    { name: 'seed', type: 'number', valueName: 'N', description: 'Seed for the impairments and the stack (same seed, same choices)' },
    { name: 'trace', type: 'boolean', description: 'Print every probe event (frames, ARP, IP, ICMP, UDP, TCP, drops) with its cause' },
  ],
  details:
    'Prints one line when ready, the counters on SIGUSR1, and the counters again on SIGINT/SIGTERM after a clean shutdown.\n' +
    'Examples:\n' +
    '  sudo ip tuntap add dev tap0 mode tap user $USER && sudo ip addr add 192.0.2.1/24 dev tap0 && sudo ip link set tap0 up\n' +
    '  tcplab stack --tap tap0 --ip 192.0.2.2/24 --serve echo,daytime --pcap run.pcapng\n' +
    '  ping 192.0.2.2; echo hi | socat - UDP:192.0.2.2:7\n' +
    '  tcplab stack --tap tap0 --ip 192.0.2.2/24 --loss 0.05 --delay 20 --seed 7\n' +
    'Live congestion against Linux (tcplab sends; the kernel sends back on the same connection; both cwnds recorded):\n' +
    '  socat TCP-LISTEN:5001,reuseaddr,setsockopt-string=6:13:cubic SYSTEM:\'head -c 4000000 /dev/urandom & cat >/dev/null; wait\' &\n' +
    '  tcplab stack --tap tap0 --ip 192.0.2.2/24 --loss 0.02 --connect 192.0.2.1:5001 --send 4000000 --cc cubic --kernel-cwnd --json live.json',
  async run(args: ParsedArgs, io: CliIo): Promise<number> {
    const opts = parseStackArgs(args);
    const live = parseLiveCcArgs(args);
    if (args.options.connect !== undefined) parseConnect(args); // bad --connect/--send/--cc: usage error before the TAP opens
    let running: RunningStack;
    try {
      running = await startStack(opts, (line) => void io.stdout.write(line + '\n'));
    } catch (e) {
      if (e instanceof TapError || e instanceof RangeError) {
        io.stderr.write(`tcplab stack: ${e.message}\n`);
        return 1;
      }
      throw e;
    }
    io.stdout.write(running.readyLine + '\n');
    const { stack } = running;
    const recorder = live.kernelCwnd || live.json ? new LiveCcRecorder(stack.probes, stack.clock.now()) : null;
    const poller = live.kernelCwnd
      ? new KernelTcpPoller({
          clock: stack.clock,
          probes: stack.probes,
          intervalMs: live.pollMs,
          peer: opts.ip.split('/')[0]!,
          ...(live.netns !== undefined ? { netns: live.netns } : { followInterface: opts.tap }),
        })
      : null;
    poller?.start();
    const extra: Record<string, unknown> = {};
    let finished = false;
    const finish = async (): Promise<void> => {
      if (finished) return;
      finished = true;
      await poller?.stop();
      recorder?.stop();
      if (!recorder) return;
      const report = recorder.report(poller);
      const d = running.device.stats();
      report.device = { rxFrames: d.rxFrames, txFrames: d.txFrames, drops: d.drops, extra: d.extra ?? {} };
      Object.assign(report, extra);
      io.stdout.write(formatLiveCcSummary(report));
      if (live.json) writeJsonAtomic(live.json, report);
    };
    if (args.options.connect !== undefined) {
      return runTcpClientCli(
        {
          stack,
          stop: async () => {
            await finish();
            await running.stop();
          },
        },
        args,
        io,
        { onResult: (r) => (extra.connection = { ...r }) },
      );
    }
    await new Promise<void>((resolve) => {
      const onUsr1 = (): void => void io.stdout.write(running.report());
      const onStop = (): void => {
        process.off('SIGUSR1', onUsr1);
        process.off('SIGINT', onStop);
        process.off('SIGTERM', onStop);
        resolve();
      };
      process.on('SIGUSR1', onUsr1);
      process.on('SIGINT', onStop);
      process.on('SIGTERM', onStop);
    });
    await finish();
    await running.stop();
    io.stdout.write(running.report());
    return 0;
  },
};
