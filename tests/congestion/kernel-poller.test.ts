import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ManualClock } from '@shared/sim/clock';
import { ProbeBus, type ProbeEvent } from '@shared/model/probe';
import { KernelTcpPoller } from '../../src-main/capture/kernel-tcp-poller';

const fixture = (name: string) => readFileSync(join(__dirname, '../fixtures/ss', name), 'utf8');
const flush = () => new Promise((r) => setTimeout(r, 0));

/** A fake poll loop: the test writes what bash would print. */
function fakeLoop() {
  const spawned: { cmd: string; args: string[]; data: (s: string) => void; exit: (code: number | null, stderr: string) => void; killed: boolean }[] = [];
  const spawnLoop = (cmd: string, args: string[]) => {
    const entry = { cmd, args, data: (_s: string) => {}, exit: (_c: number | null, _e: string) => {}, killed: false };
    spawned.push(entry);
    return {
      onData: (cb: (s: string) => void) => void (entry.data = cb),
      onExit: (cb: (c: number | null, e: string) => void) => void (entry.exit = cb),
      kill: () => void (entry.killed = true),
    };
  };
  return { spawned, spawnLoop };
}

/** One ss run as the loop prints it: stamp, output, exit code. */
const block = (epochS: number, text: string, code = 0) => `@@tcplab-begin ${epochS.toFixed(6)}\n${text}${text.endsWith('\n') || text === '' ? '' : '\n'}@@tcplab-end ${code}\n`;

describe('KernelTcpPoller (loop)', () => {
  it('runs one bash loop in the namespace and publishes a kernel tcp-info event per socket and run, at the wall time of the run', async () => {
    const clock = new ManualClock(5000);
    const probes = new ProbeBus();
    const events: ProbeEvent[] = [];
    probes.subscribe((e) => events.push(e));
    const loop = fakeLoop();
    // Wall clock 1_000_000 s at stack-clock 5000 ms.
    const poller = new KernelTcpPoller({ clock, probes, intervalMs: 50, netns: 'ns1', peer: '192.0.2.2', spawnLoop: loop.spawnLoop, wallClock: () => 1_000_000_000 });
    poller.start();
    await flush();
    expect(loop.spawned).toHaveLength(1);
    const { cmd, args } = loop.spawned[0]!;
    expect([cmd, ...args.slice(0, 5)]).toEqual(['ip', 'netns', 'exec', 'ns1', 'bash', '-c']);
    expect(args[5]).toContain('ss -tinoH dst 192.0.2.2 2>&1');
    expect(args[5]).toContain('sleep 0.050');
    const text = fixture('reno-bbr-senders-tinH.txt');
    // Split mid-line, as a pipe would.
    const out = block(1_000_000.1, text) + block(1_000_000.2, text);
    loop.spawned[0]!.data(out.slice(0, 333));
    loop.spawned[0]!.data(out.slice(333));
    await poller.stop();
    expect(loop.spawned[0]!.killed).toBe(true);
    expect(poller.stats.polls).toBe(2);
    expect(events).toHaveLength(4);
    const reno = events.filter((e) => e.subject === '192.0.2.1:59712-192.0.2.2:5001');
    expect(reno.map((e) => Math.round(e.t))).toEqual([5100, 5200]);
    expect(reno[0]).toMatchObject({ layer: 'kernel', kind: 'tcp-info' });
    expect(reno[0]!.data).toMatchObject({ origin: 'kernel', via: 'ss', algorithm: 'reno', cwnd: 1448, cwndSegments: 1, ssthresh: 2896, ssthreshSegments: 2, mss: 1448, rttMs: 0.078, bytesAcked: 11127993, retransTotal: 272, deliveryRateBps: 340705880 });
  });

  it('skips LISTEN/TIME-WAIT sockets; a failing ss is counted by name and published once per message; a dead loop restarts', async () => {
    const clock = new ManualClock();
    const probes = new ProbeBus();
    const events: ProbeEvent[] = [];
    probes.subscribe((e) => events.push(e));
    const loop = fakeLoop();
    const poller = new KernelTcpPoller({ clock, probes, spawnLoop: loop.spawnLoop, wallClock: () => 0 });
    poller.start();
    await flush();
    expect([loop.spawned[0]!.cmd, loop.spawned[0]!.args[0]]).toEqual(['bash', '-c']);
    loop.spawned[0]!.data(block(0.1, 'LISTEN 0 5 0.0.0.0:5001 0.0.0.0:*\n\t cubic cwnd:10\nTIME-WAIT 0 0 192.0.2.1:1 192.0.2.2:2\n'));
    loop.spawned[0]!.data(block(0.2, 'Cannot open netlink socket: Permission denied', 1) + block(0.3, 'Cannot open netlink socket: Permission denied', 1));
    expect(events.filter((e) => e.kind === 'tcp-info')).toHaveLength(0);
    expect(poller.stats.errors['ss-failed']).toBe(2);
    const errs = events.filter((e) => e.kind === 'poll-error');
    expect(errs).toHaveLength(1);
    expect(errs[0]!.data['message']).toMatch(/exit 1: Cannot open netlink socket/);
    loop.spawned[0]!.exit(127, 'bash: not found');
    expect(poller.stats.errors['loop-exited']).toBe(1);
    clock.advanceTo(1000);
    await flush();
    expect(loop.spawned).toHaveLength(2);
    await poller.stop();
  });

  it('follows an interface into the namespace that holds it, and moves the loop when it moves', async () => {
    const clock = new ManualClock();
    const probes = new ProbeBus();
    const loop = fakeLoop();
    let where = 'tapns';
    const calls: string[][] = [];
    const run = async (cmd: string, args: string[]) => {
      calls.push([cmd, ...args]);
      if (args[0] === 'netns' && args[1] === 'list') return { code: 0, stdout: 'other (id: 1)\ntapns (id: 2)\nnewns\n', stderr: '' };
      return args[1] === where ? { code: 0, stdout: '', stderr: '' } : { code: 1, stdout: '', stderr: 'Device does not exist' };
    };
    const poller = new KernelTcpPoller({ clock, probes, followInterface: 'tlnowhere0', peer: '192.0.2.2', run, spawnLoop: loop.spawnLoop, wallClock: () => 0 });
    poller.start();
    for (let k = 0; k < 5; k++) await flush();
    expect(calls).toEqual([
      ['ip', 'netns', 'list'],
      ['ip', '-n', 'other', 'link', 'show', 'dev', 'tlnowhere0'],
      ['ip', '-n', 'tapns', 'link', 'show', 'dev', 'tlnowhere0'],
    ]);
    expect(loop.spawned[0]!.args.slice(0, 3)).toEqual(['netns', 'exec', 'tapns']);
    loop.spawned[0]!.data(block(0.05, fixture('cubic-sender-tinoH.txt')));
    expect(poller.stats.samples).toBe(1);
    // The interface moves; the loop sees no socket for a second, looks again, and follows it.
    where = 'newns';
    clock.advanceTo(1500);
    loop.spawned[0]!.data(block(1.5, ''));
    for (let k = 0; k < 8; k++) await flush();
    expect(loop.spawned[0]!.killed).toBe(true);
    expect(loop.spawned[1]!.args.slice(0, 3)).toEqual(['netns', 'exec', 'newns']);
    expect(poller.stats.netns).toBe('newns');
    await poller.stop();
  });

  it('refuses a peer that is not a dotted quad (it goes into a shell script)', () => {
    expect(() => new KernelTcpPoller({ clock: new ManualClock(), probes: new ProbeBus(), peer: '1.2.3.4; rm -rf /' })).toThrow(/not an IPv4 address/);
  });
});

describe('KernelTcpPoller.pollOnce', () => {
  it('spawns ss once in the namespace and publishes at the midpoint of the run', async () => {
    const clock = new ManualClock(100);
    const probes = new ProbeBus();
    const events: ProbeEvent[] = [];
    probes.subscribe((e) => events.push(e));
    const poller = new KernelTcpPoller({
      clock,
      probes,
      netns: 'ns1',
      peer: '192.0.2.2',
      run: async (cmd, args) => {
        expect([cmd, ...args]).toEqual(['ip', 'netns', 'exec', 'ns1', 'ss', '-tinoH', 'dst', '192.0.2.2']);
        clock.advanceTo(110);
        return { code: 0, stdout: fixture('cubic-sender-tinoH.txt'), stderr: '' };
      },
    });
    const socks = await poller.pollOnce();
    expect(socks).toHaveLength(1);
    expect(events.map((e) => [e.t, e.subject, e.data.cwndSegments])).toEqual([[105, '192.0.2.1:37726-192.0.2.2:5001', 27]]);
  });
});
