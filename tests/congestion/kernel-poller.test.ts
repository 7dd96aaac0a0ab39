import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ManualClock } from '@shared/sim/clock';
import { ProbeBus, type ProbeEvent } from '@shared/model/probe';
import { KernelTcpPoller, type CommandResult } from '../../src-main/capture/kernel-tcp-poller';

const fixture = (name: string) => readFileSync(join(__dirname, '../fixtures/ss', name), 'utf8');
const flush = () => new Promise((r) => setTimeout(r, 0));

function setup(outputs: (CommandResult | ((args: string[]) => CommandResult))[], opts: { netns?: string; peer?: string; followInterface?: string } = {}) {
  const clock = new ManualClock();
  const probes = new ProbeBus();
  const events: ProbeEvent[] = [];
  probes.subscribe((e) => events.push(e));
  const calls: string[][] = [];
  let i = 0;
  const poller = new KernelTcpPoller({
    clock,
    probes,
    intervalMs: 100,
    ...opts,
    run: async (cmd, args) => {
      calls.push([cmd, ...args]);
      const o = outputs[Math.min(i++, outputs.length - 1)]!;
      return typeof o === 'function' ? o([cmd, ...args]) : o;
    },
  });
  return { clock, events, calls, poller };
}

describe('KernelTcpPoller', () => {
  it('publishes one kernel tcp-info event per data-carrying socket and poll, cwnd in bytes and segments', async () => {
    const { clock, events, calls, poller } = setup([{ code: 0, stdout: fixture('reno-bbr-senders-tinH.txt'), stderr: '' }], { netns: 'ns1', peer: '192.0.2.2' });
    poller.start();
    for (let t = 0; t <= 300; t += 100) {
      clock.advanceTo(t);
      await flush();
    }
    await poller.stop();
    expect(calls[0]).toEqual(['ip', 'netns', 'exec', 'ns1', 'ss', '-tinoH', 'dst', '192.0.2.2']);
    expect(poller.stats.polls).toBe(4);
    expect(events).toHaveLength(8);
    const reno = events.filter((e) => e.subject === '192.0.2.1:59712-192.0.2.2:5001');
    expect(reno.map((e) => e.t)).toEqual([0, 100, 200, 300]);
    expect(reno[0]).toMatchObject({ layer: 'kernel', kind: 'tcp-info' });
    expect(reno[0]!.data).toMatchObject({ origin: 'kernel', via: 'ss', algorithm: 'reno', cwnd: 1448, cwndSegments: 1, ssthresh: 2896, ssthreshSegments: 2, mss: 1448, rttMs: 0.078, bytesAcked: 11127993, retransTotal: 272, deliveryRateBps: 340705880 });
  });

  it('skips LISTEN/TIME-WAIT sockets, and counts a failed ss by name once per message', async () => {
    const listen = 'LISTEN 0 5 0.0.0.0:5001 0.0.0.0:*\n\t cubic cwnd:10\nTIME-WAIT 0 0 192.0.2.1:1 192.0.2.2:2\n';
    const { clock, events, poller } = setup([
      { code: 0, stdout: listen, stderr: '' },
      { code: 1, stdout: '', stderr: 'Cannot open network namespace "gone": No such file or directory' },
    ], { netns: 'gone' });
    poller.start();
    for (let t = 0; t <= 300; t += 100) {
      clock.advanceTo(t);
      await flush();
    }
    await poller.stop();
    expect(events.filter((e) => e.kind === 'tcp-info')).toHaveLength(0);
    expect(poller.stats.errors['ss-failed']).toBe(3);
    const errs = events.filter((e) => e.kind === 'poll-error');
    expect(errs).toHaveLength(1);
    expect(errs[0]!.data['message']).toMatch(/Cannot open network namespace "gone"/);
  });

  it('follows an interface into the namespace that holds it', async () => {
    const { clock, calls, poller } = setup([
      (a) => (a[1] === 'netns' && a[2] === 'list' ? { code: 0, stdout: 'other (id: 1)\ntapns (id: 2)\n', stderr: '' } : { code: 1, stdout: '', stderr: 'Device does not exist' }),
      { code: 1, stdout: '', stderr: 'Device "tlnowhere0" does not exist.' },
      { code: 0, stdout: '', stderr: '' },
      { code: 0, stdout: fixture('cubic-sender-tinoH.txt'), stderr: '' },
    ], { followInterface: 'tlnowhere0', peer: '192.0.2.2' });
    poller.start();
    clock.advanceTo(0);
    for (let k = 0; k < 5; k++) await flush();
    await poller.stop();
    expect(calls.slice(0, 4)).toEqual([
      ['ip', 'netns', 'list'],
      ['ip', '-n', 'other', 'link', 'show', 'dev', 'tlnowhere0'],
      ['ip', '-n', 'tapns', 'link', 'show', 'dev', 'tlnowhere0'],
      ['ip', 'netns', 'exec', 'tapns', 'ss', '-tinoH', 'dst', '192.0.2.2'],
    ]);
    expect(poller.stats.netns).toBe('tapns');
    expect(poller.stats.samples).toBe(1);
  });

  it('never runs two ss at once: a slow poll makes the next one skip', async () => {
    const clock = new ManualClock();
    const probes = new ProbeBus();
    let release: (() => void) | null = null;
    let runs = 0;
    const poller = new KernelTcpPoller({
      clock,
      probes,
      intervalMs: 100,
      run: () => {
        runs++;
        return new Promise((r) => (release = () => r({ code: 0, stdout: '', stderr: '' })));
      },
    });
    poller.start();
    clock.advanceTo(0);
    clock.advanceTo(100);
    clock.advanceTo(200);
    await flush();
    expect(runs).toBe(1);
    expect(poller.stats.errors['skipped-busy']).toBe(2);
    release!();
    await poller.stop();
  });
});
