/**
 * `tcplab stack` as a process: TAP created by the command (--create), moved into a namespace,
 * pinged by the kernel through the fault injector's delay; SIGUSR1 prints counters; SIGTERM shuts
 * down cleanly with the pcapng file complete.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { missing, title } from '../support/requirements';
import { Netns, sh, uniqueSuffix } from '../support/netns';
import { runInNs } from '../support/tap';
import { parseArgs } from '../../src-main/cli/args';
import { CliUsageError } from '../../src-main/cli/command';
import { parseStackArgs, stackCommand } from '../../src-main/cli/commands/stack';

const parse = (argv: string[]) => parseStackArgs(parseArgs(argv, stackCommand.options));

describe('tcplab stack: arguments', () => {
  it('needs --tap and --ip, and checks every value', () => {
    expect(() => parse(['--ip', '192.0.2.2/24'])).toThrow(CliUsageError);
    expect(() => parse(['--tap', 't0'])).toThrow(/--ip/);
    expect(() => parse(['--tap', 't0', '--ip', '192.0.2.2'])).toThrow(/ADDR\/LEN/);
    expect(() => parse(['--tap', 't0', '--ip', '192.0.2.2/24', '--loss', '1.5'])).toThrow(/probability/);
    expect(() => parse(['--tap', 't0', '--ip', '192.0.2.2/24', '--serve', 'echo,bogus'])).toThrow(/unknown service 'bogus'/);
    expect(() => parse(['--tap', 't0', '--ip', '192.0.2.2/24', '--mac', '01:00:00:00:00:01'])).toThrow(/multicast/);
    expect(() => parse(['--tap', 't0', '--ip', '192.0.2.2/24', '--mtu', '40'])).toThrow(/68\.\.65535/);
    const o = parse(['--tap', 't0', '--ip', '192.0.2.2/24', '--serve', 'echo,daytime', '--serve', 'chargen', '--loss', '0.1', '--delay', '20', '--seed', '7']);
    expect(o.serve).toEqual(['echo', 'daytime', 'chargen']);
    expect(o.impairment).toEqual({ loss: 0.1, delayMs: 20 });
    expect(o.seed).toBe(7);
    expect(parse(['--tap', 't0', '--ip', '192.0.2.2/24', '--burst-loss', '0.01,0.3']).impairment).toEqual({ gilbertElliott: { pGoodToBad: 0.01, pBadToGood: 0.3 } });
    expect(() => parse(['--tap', 't0', '--ip', '192.0.2.2/24', '--burst-loss', '0.01'])).toThrow(/PGB,PBG/);
    expect(() => parse(['--tap', 't0', '--ip', '192.0.2.2/24', '--burst-loss', '0.1,0.2', '--loss', '0.1'])).toThrow(/exclude/);
    // ECN: the stack's tcp_ecn, and a CE-marking queue at a limited rate.
    const e = parse(['--tap', 't0', '--ip', '192.0.2.2/24', '--rate', '20', '--ce-mark', '15000', '--ecn', '1']);
    expect(e.impairment).toEqual({ bandwidthBps: 20e6, ceMarking: { minBytes: 15000 } });
    expect(e.ecn).toBe(1);
    expect(parse(['--tap', 't0', '--ip', '192.0.2.2/24']).ecn).toBeUndefined();
    expect(() => parse(['--tap', 't0', '--ip', '192.0.2.2/24', '--ce-mark', '15000'])).toThrow(/needs --rate/);
    expect(() => parse(['--tap', 't0', '--ip', '192.0.2.2/24', '--ecn', '3'])).toThrow(/--ecn expects/);
    expect(() => parse(['--tap', 't0', '--ip', '192.0.2.2/24', '--rate', '0'])).toThrow(/--rate expects/);
    // One ACK per TAP read batch: opt-in.
    expect(parse(['--tap', 't0', '--ip', '192.0.2.2/24', '--ack-per-batch']).ackPerBatch).toBe(true);
    expect(parse(['--tap', 't0', '--ip', '192.0.2.2/24']).ackPerBatch).toBeUndefined();
  });

  it('reports a missing TAP with the command that creates it (exit 1)', async () => {
    let err = '';
    const io = { stdout: { write: () => true }, stderr: { write: (s: string) => ((err += s), true) }, stdin: process.stdin } as never;
    const code = await stackCommand.run(parseArgs(['--tap', `nx${uniqueSuffix()}`, '--ip', '192.0.2.2/24'], stackCommand.options), io);
    expect(code).toBe(1);
    expect(err).toMatch(/no interface named .*\n.*ip tuntap add dev \S+ mode tap user \$USER/);
  });
});

const why = missing('root', 'netns', 'tun', 'ping', 'tcpdump');

describe.skipIf(why !== null)(title(why, 'tcplab stack as a process'), () => {
  let child: ChildProcess | null = null;
  let ns: Netns | null = null;
  const dir = mkdtempSync(join(tmpdir(), 'tcplab-cli-'));

  afterAll(() => {
    child?.kill('SIGKILL');
    ns?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs until SIGTERM, prints counters on SIGUSR1 and on exit, writes the pcapng', async () => {
    const tap = `tlc${uniqueSuffix()}`;
    const pcap = join(dir, 'run.pcapng');
    // node itself (not npx, which does not pass SIGUSR1 on) with tsx as the loader.
    child = spawn(process.execPath, ['--import', 'tsx', 'tests/stack/fixtures/stack-cli.ts', '--tap', tap, '--create', '--ip', '192.0.2.2/24', '--mac', '02:00:00:00:0c:02', '--serve', 'echo', '--pcap', pcap, '--delay', '5', '--seed', '3', '--trace'], {
      cwd: process.cwd(),
      env: { ...process.env, TSX_TSCONFIG_PATH: 'tsconfig.node.json' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | null>((r) => child!.on('exit', (code) => r(code)));
    const waitFor = async (re: RegExp, ms: number) => {
      const end = Date.now() + ms;
      while (!re.test(out)) {
        if (Date.now() > end) throw new Error(`timed out waiting for ${re}; stdout: ${out}; stderr: ${err}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    await waitFor(/tcplab stack: ready on \S+ \(created\) 02:00:00:00:0c:02 192\.0\.2\.2\/24 mtu 1500 serving echo impair delayMs=5 seed 3/, 30_000);

    ns = Netns.create('stkcli');
    sh('ip', ['link', 'set', tap, 'netns', ns.name]);
    ns.run('sysctl', ['-q', '-w', `net.ipv6.conf.${tap}.disable_ipv6=1`]);
    ns.run('ip', ['addr', 'add', '192.0.2.1/24', 'dev', tap]);
    ns.run('ip', ['link', 'set', tap, 'up']);
    const ping = await runInNs(ns, 'ping', ['-c', '3', '-i', '0.2', '-W', '2', '192.0.2.2']);
    expect(ping.stdout).toContain('3 packets transmitted, 3 received, 0% packet loss');
    // 5 ms each way through the fault injector: no RTT can be below 10 ms.
    const min = Number(/rtt min\/avg\/max\/mdev = ([\d.]+)\//.exec(ping.stdout)?.[1]);
    expect(min).toBeGreaterThanOrEqual(9.9);

    child.kill('SIGUSR1');
    await waitFor(/icmp\.tx\.echo-replies\s+3/, 10_000);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(out.match(/icmp\.tx\.echo-replies\s+3/g)?.length).toBe(2);
    expect(existsSync(pcap)).toBe(true);
    expect(existsSync(`${pcap}.partial`)).toBe(false);
    const decoded = sh('tcpdump', ['-nr', pcap]);
    expect(decoded.match(/192\.0\.2\.2 > 192\.0\.2\.1: ICMP echo reply/g)?.length).toBe(3);
    expect(decoded).toMatch(/ARP, Reply 192\.0\.2\.2 is-at 02:00:00:00:0c:02/);
    // --trace: one line per probe event, each naming its cause.
    expect(out).toMatch(/^[\d.]+ ms #\d+<-\d+ icmp message-in 192\.0\.2\.1 type=8 code=0 kind=echo-request$/m);
    expect(out).toMatch(/^[\d.]+ ms #\d+<-\d+ link frame-out \S+ bytes=98 etherType=2048$/m);
  }, 60_000);
});
