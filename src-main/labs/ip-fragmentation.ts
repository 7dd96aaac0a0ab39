import { parseIpv4 } from '@shared/wire/address';
import { ICMP_ECHO_REPLY, ICMP_ECHO_REQUEST } from '@shared/wire/icmp';
import { ADDR_B, twoHosts } from './hosts';
import { expect, framesAt, type SeenFrame } from './inspect';
import type { LabModule } from './types';
import { LabWorld } from './world';

const isFrag = (f: SeenFrame) => f.pkt.ipv4 !== undefined && (f.pkt.ipv4.moreFragments || f.pkt.ipv4.fragmentOffset > 0);

/**
 * ping -s 1473 over MTU 1500: 8 bytes of ICMP header + 1473 data = 1481 bytes, one more than the
 * 1480 an IPv4 packet of 1500 bytes can carry, so the request leaves in two fragments
 * (RFC 791 §2.3 / §3.2) and the reply comes back in two as well.
 */
export const ipFragmentationLab: LabModule = {
  name: 'ip-fragmentation',
  title: { en: 'IPv4 fragmentation: a 1473-byte ping over MTU 1500', 'zh-CN': 'IPv4 分片：MTU 1500 上的 1473 字节 ping' },
  narrative: {
    en:
      'Host A pings B three times. With -s 1472 the ICMP message (8 + 1472 = 1480 bytes) plus the 20-byte IP header is exactly 1500: ' +
      'one frame each way. With -s 1473 it is one byte too big: watch A send two fragments with the same IP ID — the first with MF set ' +
      'and 1480 bytes of payload, the second at offset 1480 (field value 185) with the last byte — and B answer with two fragments too, ' +
      'after reassembling. Last, ping -M do (DF set) with -s 1473 never leaves A: the stack refuses locally with EMSGSIZE, as Linux ' +
      'prints "message too long, mtu=1500".',
    'zh-CN':
      '主机 A 向 B ping 三次。-s 1472 时 ICMP 报文（8 + 1472 = 1480 字节）加 20 字节 IP 首部正好 1500：每个方向一帧。-s 1473 时多了一个字节：' +
      '观察 A 发出两个 IP ID 相同的分片——第一个置 MF 位、载荷 1480 字节，第二个偏移 1480（字段值 185）只带最后一个字节——B 重组后也用两个分片应答。' +
      '最后，带 -M do（置 DF）的 -s 1473 ping 根本不会离开 A：协议栈在本地以 EMSGSIZE 拒绝，就像 Linux 打印的 “message too long, mtu=1500”。',
  },
  defaults: { delayMs: 1 },
  expectations: [
    {
      id: 'no-fragment-at-1472',
      text: { en: 'ping -s 1472 fits: one 1514-byte frame, no fragments', 'zh-CN': 'ping -s 1472 不分片：一个 1514 字节的帧' },
      check(run) {
        const req = framesAt(run, 'A', 'tx').filter((f) => f.pkt.icmp?.type === ICMP_ECHO_REQUEST && !isFrag(f));
        return expect(req.length === 1 && req[0]!.frame.data.length === 1514, `${req.length} unfragmented echo request(s), ${req.map((f) => f.frame.data.length).join(',')} bytes`);
      },
    },
    {
      id: 'two-fragments-out',
      text: { en: 'ping -s 1473: A sends two fragments with one IP ID: MF+offset 0 (1480 B), then offset 1480 (1 B)', 'zh-CN': 'ping -s 1473：A 发出同一 IP ID 的两个分片：MF+偏移 0（1480 字节），然后偏移 1480（1 字节）' },
      check(run) {
        const frags = framesAt(run, 'A', 'tx').filter((f) => isFrag(f) && f.pkt.ipv4!.dst === parseIpv4(ADDR_B));
        const [f1, f2] = frags.map((f) => f.pkt.ipv4!);
        const ok =
          frags.length === 2 &&
          f1!.identification === f2!.identification &&
          f1!.moreFragments &&
          f1!.fragmentOffset === 0 &&
          f1!.totalLength - f1!.headerLength === 1480 &&
          !f2!.moreFragments &&
          f2!.fragmentOffset === 1480 &&
          f2!.totalLength - f2!.headerLength === 1;
        return expect(ok, frags.map((f) => `id=${f.pkt.ipv4!.identification} off=${f.pkt.ipv4!.fragmentOffset} MF=${f.pkt.ipv4!.moreFragments} len=${f.pkt.ipv4!.totalLength - f.pkt.ipv4!.headerLength}`).join('; ') || 'no fragments');
      },
    },
    {
      id: 'reply-fragmented',
      text: { en: 'B reassembles and its 1481-byte echo reply also comes back in two fragments', 'zh-CN': 'B 重组后，1481 字节的回显应答也分成两个分片返回' },
      check(run) {
        const frags = framesAt(run, 'B', 'tx').filter(isFrag);
        const reply = frags.find((f) => f.pkt.ipv4!.fragmentOffset === 0 && f.pkt.icmp?.type === ICMP_ECHO_REPLY);
        return expect(frags.length === 2 && reply !== undefined && run.results['replyBytes1473'] === 1481, `${frags.length} fragments from B, reply ${run.results['replyBytes1473']} bytes`);
      },
    },
    {
      id: 'df-emsgsize',
      text: { en: 'ping -M do -s 1473 fails locally with EMSGSIZE and sends nothing', 'zh-CN': 'ping -M do -s 1473 在本地以 EMSGSIZE 失败，不发送任何帧' },
      check(run) {
        return expect(run.results['dfError'] === 'EMSGSIZE' && run.results['framesDuringDf'] === 0, `error ${run.results['dfError']}, ${run.results['framesDuringDf']} frames sent`);
      },
    },
  ],
  async run(params) {
    const world = new LabWorld(params);
    const { a } = twoHosts(world);
    await world.runUntil(() => false, 10); // interfaces up, gratuitous ARP settles
    const r1 = await world.settle(a.icmp.ping(ADDR_B, { size: 1472, timeoutMs: 2000 }), 3000);
    world.note('step', { text: 'ping -s 1472 done' });
    const r2 = await world.settle(a.icmp.ping(ADDR_B, { size: 1473, timeoutMs: 2000 }), 3000);
    world.note('step', { text: 'ping -s 1473 done' });
    const before = world.frames.length;
    const r3 = await world.settle(a.icmp.ping(ADDR_B, { size: 1473, dontFragment: true, timeoutMs: 2000 }), 3000);
    world.results['replyBytes1472'] = r1.ok ? r1.value.bytes : null;
    world.results['replyBytes1473'] = r2.ok ? r2.value.bytes : null;
    world.results['rttMs1473'] = r2.ok ? r2.value.rttMs : null;
    world.results['dfError'] = r3.ok ? null : 'error' in r3 ? ((r3.error as { code?: string }).code ?? r3.error.message) : 'timeout';
    world.results['framesDuringDf'] = world.frames.length - before;
    return { lab: 'ip-fragmentation', params, durationMs: world.clock.now(), frames: world.frames, events: world.events, series: world.series, results: world.results };
  },
};
