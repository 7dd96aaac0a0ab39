/**
 * decodePacket against tshark on real kernel traffic, made inside two network namespaces joined by
 * a veth pair (192.0.2.0/24 only): ARP, ping (plain, -s 1473 and -s 3000 fragments, record-route
 * and timestamp IP options), TCP with data, UDP to a closed port (ICMP port unreachable) and TCP to
 * a closed port (RST). For every frame, the fields tshark prints must equal ours.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { missing, title } from '../support/requirements';
import { createVethPair, startTcpdump, type VethPair } from '../support/netns';
import { decodePacket, type DecodedPacket } from '@shared/wire/decode';
import { ipv4ToString } from '@shared/wire/address';

const why = missing('root', 'netns', 'tcpdump', 'tshark', 'ping', 'nc');

/** The few lines of classic pcap reading this test needs (the real readers live in src-main/capture). */
function readPcap(file: string): { linkType: number; frames: { data: Uint8Array; origLength: number }[] } {
  const buf = readFileSync(file);
  const le = buf.readUInt32LE(0) === 0xa1b2c3d4 || buf.readUInt32LE(0) === 0xa1b23c4d;
  const u32 = (o: number) => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  const frames: { data: Uint8Array; origLength: number }[] = [];
  for (let o = 24; o + 16 <= buf.length; ) {
    const incl = u32(o + 8);
    frames.push({ data: new Uint8Array(buf.subarray(o + 16, o + 16 + incl)), origLength: u32(o + 12) });
    o += 16 + incl;
  }
  return { linkType: u32(20) & 0xffff, frames };
}

const FIELDS = [
  'eth.src', 'eth.dst', 'eth.type', 'arp.opcode', 'arp.src.proto_ipv4', 'arp.dst.proto_ipv4',
  'ip.src', 'ip.dst', 'ip.id', 'ip.ttl', 'ip.dsfield', 'ip.flags.df', 'ip.flags.mf', 'ip.frag_offset', 'ip.len', 'ip.proto', 'ip.checksum', 'ip.hdr_len',
  'icmp.type', 'icmp.code', 'icmp.checksum', 'icmp.ident', 'icmp.seq',
  'udp.srcport', 'udp.dstport',
  'tcp.srcport', 'tcp.dstport', 'tcp.seq_raw', 'tcp.ack_raw', 'tcp.flags', 'tcp.window_size_value', 'tcp.hdr_len', 'tcp.len',
  'tcp.options.mss_val', 'tcp.options.wscale.shift', 'tcp.options.timestamp.tsval', 'tcp.options.timestamp.tsecr',
];

const h = (n: number, w: number) => '0x' + n.toString(16).padStart(w, '0');

/** Our decode, written the way tshark prints each field (first occurrence, '' when absent). */
function ours(p: DecodedPacket): string[] {
  const l = p.link?.kind === 'ethernet' ? p.link : undefined;
  const ip = p.ipv4;
  const i = p.icmp;
  const q = p.icmpQuoted;
  const t = p.tcp;
  const opt = <K extends string>(kind: K) => t?.options.find((o) => o.kind === kind) as Record<string, number> | undefined;
  const udpPorts = p.udp ? [p.udp.srcPort, p.udp.dstPort] : q?.ipv4.protocol === 17 ? [q.srcPort, q.dstPort] : undefined;
  const tcpPorts = t ? [t.srcPort, t.dstPort] : q?.ipv4.protocol === 6 ? [q.srcPort, q.dstPort] : undefined;
  const v = (x: unknown) => (x === undefined ? '' : String(x));
  return [
    v(l?.src), v(l?.dst), l ? h(l.etherType, 4) : '',
    v(p.arp?.op), p.arp ? ipv4ToString(p.arp.senderIp) : '', p.arp ? ipv4ToString(p.arp.targetIp) : '',
    ip ? ipv4ToString(ip.src) : '', ip ? ipv4ToString(ip.dst) : '', ip ? h(ip.identification, 4) : '', v(ip?.ttl),
    ip ? h((ip.dscp << 2) | ip.ecn, 2) : '', ip ? (ip.dontFragment ? '1' : '0') : '', ip ? (ip.moreFragments ? '1' : '0') : '',
    ip ? String(ip.fragmentOffset / 8) : '', v(ip?.totalLength), v(ip?.protocol), ip ? h(ip.checksum, 4) : '', v(ip?.headerLength),
    v(i?.type), v(i?.code), i ? h(i.checksum, 4) : '', i && 'identifier' in i ? String(i.identifier) : '', i && 'sequence' in i ? String(i.sequence) : '',
    v(udpPorts?.[0]), v(udpPorts?.[1]),
    v(tcpPorts?.[0]), v(tcpPorts?.[1]), t ? String(t.seq) : q?.tcpSeq !== undefined ? String(q.tcpSeq) : '', v(t?.ack),
    t ? h(t.flags, 4) : '', v(t?.window), v(t?.dataOffset), v(t?.payload.length),
    v(opt('mss')?.value), v(opt('wscale')?.shift), v(opt('timestamps')?.tsval), v(opt('timestamps')?.tsecr),
  ];
}

describe.skipIf(why !== null)(title(why, 'decodePacket equals tshark on kernel traffic'), () => {
  let pair: VethPair | undefined;
  let dir = '';
  let file = '';

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tcplab-wire-'));
    file = join(dir, 'kernel.pcap');
    pair = createVethPair('tw');
    const { a, b, ifA, addrB } = pair;
    const stop = await startTcpdump(a, ifA, file);
    a.run('ping', ['-c', '1', '-W', '1', addrB]);
    a.run('ping', ['-c', '1', '-W', '1', '-s', '1473', addrB]);
    a.run('ping', ['-c', '1', '-W', '1', '-s', '3000', addrB]);
    a.run('ping', ['-c', '1', '-W', '1', '-R', addrB]);
    a.run('ping', ['-c', '1', '-W', '1', '-T', 'tsonly', addrB]);
    const server = b.spawn('nc', ['-l', '-p', '8080']);
    await new Promise((r) => setTimeout(r, 300));
    a.run('nc', ['-q', '1', '-w', '2', addrB, '8080'], { input: 'GET / HTTP/1.1\r\nHost: x\r\n\r\n', timeoutMs: 5000 });
    server.kill();
    // Port unreachable is rate-limited by the kernel, also by a host-wide bucket that other tests
    // running at the same time may drain: send a few datagrams, spaced, so one gets its answer.
    for (let i = 0; i < 3; i++) {
      a.run('sh', ['-c', `echo hello | nc -u -q 0 -w 1 ${addrB} 9999 || true`], { timeoutMs: 5000 });
      await new Promise((r) => setTimeout(r, 300));
    }
    a.run('sh', ['-c', `nc -w 1 ${addrB} 81 </dev/null || true`], { timeoutMs: 5000 });
    await new Promise((r) => setTimeout(r, 300));
    await stop();
  }, 60_000);

  afterAll(() => {
    pair?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('every frame: the same fields as tshark, no errors', () => {
    const { linkType, frames } = readPcap(file);
    const out = execFileSync('tshark', ['-r', file, '-o', 'ip.defragment:FALSE', '-T', 'fields', '-E', 'occurrence=f', '-E', 'separator=/t', ...FIELDS.flatMap((f) => ['-e', f])], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const rows = out.split('\n').filter((l) => l.length > 0).map((l) => l.split('\t'));
    expect(rows.length).toBe(frames.length);
    const kinds = new Set<string>();
    frames.forEach((f, n) => {
      const p = decodePacket(linkType, f.data, f.origLength);
      if (p.ipv4?.options.length) kinds.add('ip-options:' + p.ipv4.options.map((o) => o.kind).join(','));
      if (p.ipv4 && p.ipv4.fragmentOffset > 0) kinds.add('fragment');
      if (p.icmpQuoted) kinds.add('icmp-quoted');
      if (p.arp) kinds.add('arp');
      if (p.tcp) kinds.add('tcp');
      if (p.http) kinds.add('http');
      if (p.etherType === 0x86dd) return; // IPv6 (router solicitations …) is not decoded yet
      expect(p.error, `frame ${n + 1}`).toBeUndefined();
      const theirs = rows[n]!.map((x) => x.replace(/^0x0*(?=[0-9a-f]{4}$)/, '0x'));
      const mine = ours(p);
      const diff = FIELDS.filter((_, k) => theirs[k] !== undefined && theirs[k] !== '' && theirs[k] !== mine[k]).map((fname) => `${fname}: tshark ${theirs[FIELDS.indexOf(fname)]} ours ${mine[FIELDS.indexOf(fname)]}`);
      expect(diff, `frame ${n + 1}`).toEqual([]);
    });
    expect([...kinds].sort()).toEqual(expect.arrayContaining(['arp', 'fragment', 'http', 'icmp-quoted', 'tcp']));
    expect([...kinds].some((k) => k.startsWith('ip-options:rr'))).toBe(true);
    expect([...kinds].some((k) => k.startsWith('ip-options:ts'))).toBe(true);
  });

  it('IP options of ping -R and -T tsonly match tshark', () => {
    const { linkType, frames } = readPcap(file);
    const out = execFileSync('tshark', ['-r', file, '-T', 'fields', '-E', 'separator=/t', '-e', 'ip.rec_rt', '-e', 'ip.opt.ptr', '-e', 'ip.opt.flag'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const rows = out.split('\n').filter((l) => l.length > 0).map((l) => l.split('\t'));
    let checked = 0;
    frames.forEach((f, n) => {
      const o = decodePacket(linkType, f.data, f.origLength).ipv4?.options.find((x) => x.kind === 'rr' || x.kind === 'ts');
      if (!o) return;
      checked++;
      const [rr, ptr] = rows[n]!;
      expect(String(o.pointer), `frame ${n + 1} pointer`).toBe(ptr!.split(',')[0]);
      if (o.kind === 'rr') {
        const filled = o.addresses!.slice(0, (o.pointer! - 4) / 4).map(ipv4ToString);
        expect(filled.join(','), `frame ${n + 1} route`).toBe(rr);
      }
    });
    expect(checked).toBeGreaterThanOrEqual(2);
  });
});
