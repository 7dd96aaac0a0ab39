import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src-main/cli/main';
import { encodePcap } from '../../src-main/capture';
import { TcpdumpPrinter } from '@shared/format/tcpdump';
import { missing, title } from '../support/requirements';
import { writeCraftedCaptures } from './crafted';
import { TextSink } from './sink';

/** `tcplab decode` as a command: input sources, damaged files, exit codes, and known differences. */

const work = mkdtempSync(join(tmpdir(), 'tcplab-decode-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

async function cli(argv: string[], stdin: NodeJS.ReadableStream = process.stdin) {
  const out = new TextSink();
  const err = new TextSink();
  const prevTz = process.env.TZ;
  process.env.TZ = 'UTC';
  try {
    const code = await runCli(['decode', ...argv], { stdout: out, stderr: err, stdin });
    return { code, out: out.text, err: err.text };
  } finally {
    if (prevTz === undefined) delete process.env.TZ;
    else process.env.TZ = prevTz;
  }
}

function tcpdump(file: string, argv: string[] = []): { out: string; err: string } {
  try {
    const out = execFileSync('tcpdump', ['-n', ...argv, '-r', file], {
      env: { ...process.env, TZ: 'UTC' },
      stdio: ['ignore', 'pipe', 'pipe'],
    }).toString('latin1');
    return { out, err: '' };
  } catch (e) {
    const x = e as { stdout: Buffer; stderr: Buffer };
    return { out: x.stdout.toString('latin1'), err: x.stderr.toString() };
  }
}

let pcap = '';
let pcapng = '';
beforeAll(() => {
  [pcap, , pcapng] = writeCraftedCaptures(work);
});

describe('TcpdumpPrinter.printDecoded', () => {
  it('prints the same line from a decodePacket result as from the raw record', async () => {
    const { decodePacket } = await import('@shared/wire/decode');
    const frame = Uint8Array.from([
      2, 0, 0x5e, 0, 0x53, 2, 2, 0, 0x5e, 0, 0x53, 1, 8, 6,
      0, 1, 8, 0, 6, 4, 0, 1, 2, 0, 0x5e, 0, 0x53, 1, 192, 0, 2, 1, 0, 0, 0, 0, 0, 0, 192, 0, 2, 2,
    ]);
    const a = new TcpdumpPrinter({ timestamp: 2 }).printDecoded(decodePacket(1, frame), frame, 1_767_225_600, 5);
    const b = new TcpdumpPrinter({ timestamp: 2 }).print({ linkType: 1, data: frame, originalLength: frame.length, tsSec: 1_767_225_600, tsUsec: 5 });
    expect(a).toBe('1767225600.000005 ARP, Request who-has 192.0.2.2 tell 192.0.2.1, length 28\n');
    expect(a).toBe(b);
  });
});

describe('tcplab decode: arguments and exit codes', () => {
  it('exits 2 on an unknown flag and on a missing file argument', async () => {
    const unknown = await cli(['-Z', pcap]);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain('-Z');
    const none = await cli([]);
    expect(none.code).toBe(2);
    const badCount = await cli(['-c', '0', pcap]);
    expect(badCount.code).toBe(2);
  });

  it('exits 1 with the reason when the file cannot be opened', async () => {
    const r = await cli([join(work, 'no-such-file.pcap')]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/cannot open .*ENOENT/);
  });

  it('reads standard input with -', async () => {
    const fromFile = await cli(['-tt', pcapng]);
    const fromStdin = await cli(['-tt', '-'], Readable.from([readFileSync(pcapng)]));
    expect(fromStdin.code).toBe(0);
    expect(fromStdin.out).toBe(fromFile.out);
    expect(fromFile.out.split('\n').length).toBeGreaterThan(100);
  });

  it('stops quietly when the reader of its output goes away (EPIPE, as with | head)', async () => {
    let writes = 0;
    const closedPipe = new Writable({
      write(_chunk, _enc, done) {
        writes++;
        done(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
      },
    });
    closedPipe.on('error', () => undefined);
    const err = new TextSink();
    const big = join(work, 'big.pcap');
    const records = Array.from({ length: 20_000 }, (_, i) => ({ data: Uint8Array.from(Array(60).fill(i & 255)), tsSec: i, tsNsec: 0 }));
    writeFileSync(big, encodePcap(records, { linkType: 1 }));
    const code = await runCli(['decode', big], { stdout: closedPipe, stderr: err, stdin: process.stdin });
    expect(code).toBe(0);
    expect(writes).toBeGreaterThan(0);
    expect(err.text).not.toContain('EPIPE');
  });

  it('stops after -c N packets and accepts clustered flags (-nvc 2)', async () => {
    const r = await cli(['-nvc', '2', pcap]);
    expect(r.code).toBe(0);
    expect(r.out.split('\n').filter((l) => /^\d\d:/.test(l))).toHaveLength(2);
  });
});

const whyTool = missing('tcpdump');
describe.skipIf(whyTool !== null)(title(whyTool, 'tcplab decode on damaged files'), () => {
  it('prints every packet before a truncated record, then names the byte offset and exits 1', async () => {
    const whole = readFileSync(pcap);
    const cutFile = join(work, 'cut.pcap');
    writeFileSync(cutFile, whole.subarray(0, Math.floor(whole.length * 0.6)));
    const ours = await cli([cutFile]);
    const ref = tcpdump(cutFile);
    expect(ours.code).toBe(1);
    expect(ours.out).toBe(ref.out);
    expect(ref.err).toContain('truncated dump file');
    expect(ours.err).toMatch(/pcap: .* at byte \d+: /);
  });

  it('stops at a corrupt pcapng block with its offset and keeps the packets before it', async () => {
    const whole = Buffer.from(readFileSync(pcapng));
    // Find the 10th Enhanced Packet Block (type 6) and give it an impossible total length.
    let off = 0;
    let epbs = 0;
    let target = -1;
    while (off + 8 <= whole.length) {
      const type = whole.readUInt32LE(off);
      const len = whole.readUInt32LE(off + 4);
      if (type === 6 && ++epbs === 10) {
        target = off;
        break;
      }
      off += len;
    }
    expect(target).toBeGreaterThan(0);
    whole.writeUInt32LE(7, target + 4);
    const bad = join(work, 'bad.pcapng');
    writeFileSync(bad, whole);
    const ours = await cli([bad]);
    expect(ours.code).toBe(1);
    expect(ours.out.split('\n').filter((l) => /^\d\d:/.test(l))).toHaveLength(9);
    expect(ours.err).toContain(`at byte ${target}`);
    expect(tcpdump(bad).out).toBe(ours.out);
  });

  it('never throws on random damage: every mutated file ends in output or a clean error', async () => {
    const whole = readFileSync(pcap);
    let seed = 12345;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x80000000);
    for (let k = 0; k < 40; k++) {
      const m = Buffer.from(whole);
      for (let j = 0; j < 20; j++) m[Math.floor(rnd() * m.length)] = Math.floor(rnd() * 256);
      const f = join(work, `mut${k}.pcap`);
      writeFileSync(f, m);
      const r = await cli(['-vvv', '-e', '-X', f]);
      expect([0, 1]).toContain(r.code);
      if (r.code === 1) expect(r.err).toMatch(/at byte \d+/);
    }
  });
});

// Where tcplab's printer knowingly differs from tcpdump (docs/decode.md, "Known differences").
describe.skipIf(whyTool !== null)(title(whyTool, 'known differences from tcpdump'), () => {
  const mac = [2, 0, 0x5e, 0, 0x53, 2, 2, 0, 0x5e, 0, 0x53, 1];
  const frame = (type: number, payload: number[]) => Uint8Array.from([...mac, type >> 8, type & 255, ...payload]);
  const ipv6 = frame(0x86dd, [0x60, 0, 0, 0, 0, 8, 17, 64, ...Array(16).fill(0), ...Array(15).fill(0), 1, 0, 1, 0, 2, 0, 8, 0, 0]);
  const igmp = frame(0x0800, [0x46, 0, 0, 32, 0, 1, 0, 0, 1, 2, 0x3f, 0x9a, 192, 0, 2, 1, 224, 0, 0, 22, 148, 4, 0, 0, 0x22, 0, 0xf9, 0x02, 0, 0, 0, 0]);

  function both(bytes: Uint8Array): { ours: string; ref: string } {
    const file = join(work, 'diff.pcap');
    writeFileSync(file, encodePcap([{ data: bytes, tsSec: 1_767_225_600, tsNsec: 0 }], { linkType: 1 }));
    const ours = new TcpdumpPrinter({ timestamp: 1 }).print({
      linkType: 1,
      data: bytes,
      originalLength: bytes.length,
      tsSec: 1_767_225_600,
      tsUsec: 0,
    });
    return { ours, ref: tcpdump(file, ['-t']).out };
  }

  it('IPv6 is not decoded: tcplab shows the Ethernet header and a hex dump', () => {
    const { ours, ref } = both(ipv6);
    expect(ref).toMatch(/^IP6 /);
    expect(ours).toBe(
      '02:00:5e:00:53:01 > 02:00:5e:00:53:02, ethertype IPv6 (0x86dd), length 62: \n' +
        '\t0x0000:  6000 0000 0008 1140 0000 0000 0000 0000  `......@........\n' +
        '\t0x0010:  0000 0000 0000 0000 0000 0000 0000 0000  ................\n' +
        '\t0x0020:  0000 0000 0000 0001 0001 0002 0008 0000  ................\n',
    );
  });

  const udpTo = (dport: number, payload: number[]) => {
    const udpLen = 8 + payload.length;
    const total = 20 + udpLen;
    return frame(0x0800, [0x45, 0, 0, total, 0, 1, 0, 0, 64, 17, 0, 0, 192, 0, 2, 1, 192, 0, 2, 2, 0x9c, 0x40, dport >> 8, dport & 255, 0, udpLen, 0, 0, ...payload]);
  };
  const tcpTo = (dport: number, payload: number[]) => {
    const total = 40 + payload.length;
    return frame(0x0800, [0x45, 0, 0, total, 0, 1, 0, 0, 64, 6, 0, 0, 192, 0, 2, 1, 192, 0, 2, 2, 0x9c, 0x40, dport >> 8, dport & 255, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x18, 2, 0, 0, 0, 0, 0, ...payload]);
  };

  it('UDP application protocols other than DNS (NTP, DHCP, SNMP, …) print as plain UDP', () => {
    const ntp = udpTo(123, [0x23, 0, 6, 0xec, ...Array(44).fill(0)]);
    const { ours, ref } = both(ntp);
    expect(ref).toContain('NTP');
    expect(ours).toBe('IP 192.0.2.1.40000 > 192.0.2.2.123: UDP, length 48\n');
  });

  it('TCP application protocols other than HTTP and DNS (SSH, SMTP, …) get no payload summary', () => {
    const ssh = tcpTo(22, [...'SSH-2.0-OpenSSH_9.2\r\n'].map((c) => c.charCodeAt(0)));
    const { ours, ref } = both(ssh);
    expect(ref).toContain('SSH: SSH-2.0-OpenSSH_9.2');
    expect(ours).toBe('IP 192.0.2.1.40000 > 192.0.2.2.22: Flags [P.], seq 1:22, ack 0, win 512, length 21\n');
  });

  it('LINUX_SLL2 interface names are not looked up: tcplab prints ? where tcpdump names the local interface', () => {
    // ifindex 1 is the loopback interface in any network namespace; the payload is an ARP request.
    const sll2 = Uint8Array.from([
      0x08, 0x06, 0, 0, 0, 0, 0, 1, 0, 1, 4, 6, 2, 0, 0x5e, 0, 0x53, 1, 0, 0,
      0, 1, 8, 0, 6, 4, 0, 1, 2, 0, 0x5e, 0, 0x53, 1, 192, 0, 2, 1, 0, 0, 0, 0, 0, 0, 192, 0, 2, 2,
    ]);
    const file = join(work, 'sll2.pcap');
    writeFileSync(file, encodePcap([{ data: sll2, tsSec: 1_767_225_600, tsNsec: 0 }], { linkType: 276 }));
    const ref = tcpdump(file, ['-t']).out;
    const ours = new TcpdumpPrinter({ timestamp: 1 }).print({ linkType: 276, data: sll2, originalLength: sll2.length, tsSec: 0, tsUsec: 0 });
    expect(ref).toBe('lo    Out ARP, Request who-has 192.0.2.2 tell 192.0.2.1, length 28\n');
    expect(ours).toBe('?     Out ARP, Request who-has 192.0.2.2 tell 192.0.2.1, length 28\n');
  });

  it('IP protocols without a tcplab printer (IGMP, GRE, OSPF, …) print as ip-proto-N', () => {
    const { ours, ref } = both(igmp);
    expect(ref).toContain('igmp');
    expect(ours).toBe('IP 192.0.2.1 > 224.0.0.22:  ip-proto-2 8\n');
  });
});
