import { ARP_REPLY, ARP_REQUEST } from '@shared/wire/arp';
import { ICMP_ECHO_REQUEST } from '@shared/wire/icmp';
import { ADDR_B, twoHosts } from './hosts';
import { expect, framesAt } from './inspect';
import type { LabModule, LabRun } from './types';
import { LabWorld, findEvents } from './world';

const ABSENT = '192.0.2.9';

/** A's ARP requests in a time window, split into broadcast and unicast. */
function arpRequests(run: LabRun, from: number, to: number) {
  const reqs = framesAt(run, 'A', 'tx').filter((f) => f.pkt.arp?.op === ARP_REQUEST && f.frame.t >= from && f.frame.t < to);
  const isBroadcast = (d: Uint8Array) => d[0] === 0xff && d[1] === 0xff && d[2] === 0xff && d[3] === 0xff && d[4] === 0xff && d[5] === 0xff;
  return {
    broadcast: reqs.filter((f) => isBroadcast(f.frame.data) && f.pkt.arp!.senderIp !== f.pkt.arp!.targetIp),
    unicast: reqs.filter((f) => !isBroadcast(f.frame.data)),
  };
}

const T = { first: 1000, second: 2000, stale: 40_000, expired: 140_000, absent: 150_000 };
const windowOf = (run: LabRun, start: number) => ({ from: start, to: start + 900 });

/**
 * ARP resolution and the neighbour cache (RFC 826, RFC 1122 §2.3.2, Linux timers): reachable for
 * 30 s after a confirmation, then stale (used, with a unicast probe), removed after 60 s more.
 */
export const arpCacheLab: LabModule = {
  name: 'arp-cache',
  title: { en: 'ARP resolution and cache expiry', 'zh-CN': 'ARP 解析与缓存过期' },
  narrative: {
    en:
      'Both hosts announce themselves with a gratuitous ARP when their interface comes up. At t = 1 s A pings B: the echo request ' +
      'waits in A\'s queue while a broadcast "who-has 192.0.2.2" goes out; B answers (and learns A from the request, RFC 826\'s merge rule, ' +
      'so it needs no request of its own). At t = 2 s the second ping finds the entry reachable: no ARP at all. At t = 40 s the entry ' +
      'has been stale since t ≈ 31 s: it is still used, and a unicast request to B\'s MAC probes it (RFC 1122 "unicast poll"). ' +
      'Nothing is sent until t = 140 s, so the entry is removed and the ping there starts with a broadcast request again. ' +
      'Last, a ping to 192.0.2.9 (no such host) sends three broadcast requests one second apart and fails with EHOSTUNREACH.',
    'zh-CN':
      '两台主机在接口启用时各发一个免费 ARP 宣告自己。t = 1 s 时 A ping B：回显请求在 A 的队列里等待，同时广播“who-has 192.0.2.2”；' +
      'B 应答（并按 RFC 826 的合并规则从请求中学到 A，因此无需自己再发请求）。t = 2 s 的第二个 ping 命中 reachable 表项：完全没有 ARP。' +
      't = 40 s 时表项自约 31 s 起已处于 stale：仍然使用，同时向 B 的 MAC 发送单播请求探测（RFC 1122 的 “unicast poll”）。' +
      '之后直到 t = 140 s 都没有流量，表项被删除，此时的 ping 又从广播请求开始。最后，ping 192.0.2.9（不存在的主机）每秒广播一次请求、共三次，然后以 EHOSTUNREACH 失败。',
  },
  defaults: { delayMs: 1 },
  expectations: [
    {
      id: 'resolve-first',
      text: { en: 'the first ping starts with a broadcast who-has and a reply, then the echo request', 'zh-CN': '第一个 ping 先广播 who-has 并收到应答，然后才发回显请求' },
      check(run) {
        const w = windowOf(run, T.first);
        const { broadcast } = arpRequests(run, w.from, w.to);
        const reply = framesAt(run, 'A', 'rx').find((f) => f.pkt.arp?.op === ARP_REPLY && f.frame.t >= w.from);
        const echo = framesAt(run, 'A', 'tx').find((f) => f.pkt.icmp?.type === ICMP_ECHO_REQUEST && f.frame.t >= w.from);
        const ok = broadcast.length === 1 && reply !== undefined && echo !== undefined && reply.frame.t <= echo.frame.t && broadcast[0]!.frame.t < echo.frame.t;
        return expect(ok, `request at ${broadcast[0]?.frame.t} ms, reply at ${reply?.frame.t} ms, echo at ${echo?.frame.t} ms`);
      },
    },
    {
      id: 'cache-hit',
      text: { en: 'the second ping sends no ARP (entry reachable)', 'zh-CN': '第二个 ping 不发 ARP（表项 reachable）' },
      check(run) {
        const w = windowOf(run, T.second);
        const r = arpRequests(run, w.from, w.to);
        return expect(r.broadcast.length + r.unicast.length === 0 && run.results['ping2'] === 'ok', `${r.broadcast.length + r.unicast.length} ARP requests, ping ${run.results['ping2']}`);
      },
    },
    {
      id: 'goes-stale',
      text: { en: 'the entry turns stale 30 s after the reply', 'zh-CN': '应答 30 s 后表项变为 stale' },
      check(run) {
        const stale = findEvents(run.events, { layer: 'arp', kind: 'state', subject: ADDR_B, data: { to: 'stale' } });
        const reachable = findEvents(run.events, { layer: 'arp', kind: 'state', subject: ADDR_B, data: { to: 'reachable' } });
        const gap = stale.length && reachable.length ? stale[0]!.t - reachable[0]!.t : NaN;
        return expect(gap === 30_000, `stale ${gap} ms after reachable`);
      },
    },
    {
      id: 'unicast-probe',
      text: { en: 'using the stale entry sends a unicast ARP request to B\'s MAC', 'zh-CN': '使用 stale 表项时向 B 的 MAC 发单播 ARP 请求' },
      check(run) {
        const w = windowOf(run, T.stale);
        const r = arpRequests(run, w.from, w.to);
        return expect(r.unicast.length === 1 && r.broadcast.length === 0 && run.results['ping3'] === 'ok', `${r.unicast.length} unicast, ${r.broadcast.length} broadcast requests, ping ${run.results['ping3']}`);
      },
    },
    {
      id: 'expired',
      text: { en: 'an idle stale entry is removed; the next ping broadcasts again', 'zh-CN': '空闲的 stale 表项被删除；下一个 ping 再次广播' },
      check(run) {
        const removed = findEvents(run.events, { layer: 'arp', kind: 'state', subject: ADDR_B, data: { to: 'removed' } });
        const w = windowOf(run, T.expired);
        const r = arpRequests(run, w.from, w.to);
        return expect(removed.length >= 1 && removed[0]!.t < T.expired && r.broadcast.length === 1, `removed at ${removed[0]?.t} ms, ${r.broadcast.length} broadcast request(s) at t = 140 s`);
      },
    },
    {
      id: 'unresolved',
      text: { en: 'a ping to an absent host: 3 broadcast requests 1 s apart, then EHOSTUNREACH', 'zh-CN': 'ping 不存在的主机：每隔 1 s 广播请求共 3 次，然后 EHOSTUNREACH' },
      check(run) {
        const { broadcast } = arpRequests(run, T.absent, T.absent + 10_000);
        const gaps = broadcast.slice(1).map((f, i) => f.frame.t - broadcast[i]!.frame.t);
        return expect(broadcast.length === 3 && gaps.every((g) => g === 1000) && run.results['pingAbsent'] === 'EHOSTUNREACH', `${broadcast.length} requests, gaps ${gaps.join(',')} ms, ping ${run.results['pingAbsent']}`);
      },
    },
  ],
  async run(params) {
    const world = new LabWorld(params);
    const { a } = twoHosts(world);
    const outcome = (r: Awaited<ReturnType<typeof world.settle>>) => (r.ok ? 'ok' : 'error' in r ? ((r.error as { code?: string }).code ?? r.error.message) : 'timeout');
    const pingAt = async (t: number, dst: string, key: string, timeoutMs = 800) => {
      await world.runUntil(() => false, t - world.clock.now());
      world.note('step', { text: `ping ${dst}`, at: t });
      world.results[key] = outcome(await world.settle(a.icmp.ping(dst, { timeoutMs }), timeoutMs + 5000));
      world.sample('arpEntries', a.arp.entries().length, 'ARP cache entries', 'entries');
    };
    await pingAt(T.first, ADDR_B, 'ping1');
    await pingAt(T.second, ADDR_B, 'ping2');
    await pingAt(T.stale, ADDR_B, 'ping3');
    await pingAt(T.expired, ADDR_B, 'ping4');
    await pingAt(T.absent, ABSENT, 'pingAbsent', 10_000);
    world.results['arpState'] = a.arp.entries().map((e) => `${e.ip}=${e.state}`).join(' ');
    return { lab: 'arp-cache', params, durationMs: world.clock.now(), frames: world.frames, events: world.events, series: world.series, results: world.results };
  },
};
