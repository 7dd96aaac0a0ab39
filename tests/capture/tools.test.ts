/**
 * Conformance of the capture readers and writers with Debian's tcpdump and tshark:
 *  - files tcpdump writes from real kernel traffic (in namespaces this test creates), converted
 *    to pcapng by editcap and tshark, read back with the same count, timestamps and lengths that
 *    tshark prints;
 *  - files tcplab writes (pcap µs/ns and pcapng, both byte orders, comments, tcplab custom
 *    blocks) read by tcpdump and tshark without error and with identical fields.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createVethPair, startTcpdump, type VethPair } from '../support/netns';
import { missing, title } from '../support/requirements';
import {
  copyRecord,
  formatEpoch,
  PcapngWriter,
  readCaptureSync,
  writePcapFile,
  type CaptureRecord,
} from '../../src-main/capture/index';

const why = missing('root', 'netns', 'tcpdump', 'tshark', 'ping');

/** Runs a tool, failing on a non-zero exit or an error message on stderr. */
function tool(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 60_000, maxBuffer: 64 << 20 });
  const stderr = (r.stderr ?? '')
    .split('\n')
    .filter((l) => l && !l.startsWith('Running as user') && !l.startsWith('reading from file'))
    .join('\n');
  if (r.status !== 0 || stderr) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${stderr}`);
  return r.stdout;
}

interface TsharkFrame {
  number: number;
  epoch: string;
  len: number;
  caplen: number;
  comment: string;
  pen: string;
}

let commentField = 'frame.comment';

function tsharkFrames(file: string, filter?: string): TsharkFrame[] {
  const args = ['-r', file, '-T', 'fields', '-E', 'separator=|', '-e', 'frame.number', '-e', 'frame.time_epoch', '-e', 'frame.len', '-e', 'frame.cap_len', '-e', commentField, '-e', 'frame.cb_pen'];
  if (filter) args.push('-Y', filter);
  return tool('tshark', args)
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => {
      const [number, epoch, len, caplen, comment, pen] = l.split('|');
      return { number: Number(number), epoch: epoch!, len: Number(len), caplen: Number(caplen), comment: comment ?? '', pen: pen ?? '' };
    });
}

function ours(r: CaptureRecord): [string, number, number] {
  return [formatEpoch(r), r.originalLength, r.capturedLength];
}

describe.skipIf(why !== null)(title(why, 'capture files against tcpdump and tshark'), () => {
  let net: VethPair;
  let dir: string;
  const files: Record<string, string> = {};

  beforeAll(async () => {
    // tshark 2.x/3.x call the packet comment field pkt_comment; 4.x frame.comment.
    commentField = tool('tshark', ['-G', 'fields']).includes('\tframe.comment\t') ? 'frame.comment' : 'pkt_comment';
    dir = mkdtempSync(join(tmpdir(), 'tcplab-captools-'));
    net = createVethPair('cap');
    files.us = join(dir, 'us.pcap');
    files.ns = join(dir, 'ns.pcap');
    files.snap = join(dir, 'snap96.pcap');
    const stops = [
      await startTcpdump(net.a, net.ifA, files.us),
      await startTcpdump(net.a, net.ifA, files.ns, ['--time-stamp-precision', 'nano']),
      await startTcpdump(net.a, net.ifA, files.snap, ['-s', '96']),
    ];
    // ARP, echo requests/replies, a 3000-byte ping in IPv4 fragments, UDP to a closed port.
    net.a.run('ping', ['-c', '4', '-i', '0.2', '-s', '1400', net.addrB]);
    net.a.run('ping', ['-c', '2', '-i', '0.2', '-s', '3000', net.addrB]);
    net.a.run('ping', ['-c', '2', '-i', '0.2', '-s', '56', net.addrB]);
    for (const stop of stops) await stop();
    files.ngEditcap = join(dir, 'editcap.pcapng');
    tool('editcap', ['-F', 'pcapng', files.us, files.ngEditcap]);
    files.ngTshark = join(dir, 'tshark-ns.pcapng');
    tool('tshark', ['-r', files.ns, '-F', 'pcapng', '-w', files.ngTshark]);
  }, 60_000);

  afterAll(() => {
    net?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  for (const name of ['us', 'ns', 'snap', 'ngEditcap', 'ngTshark']) {
    it(`reads ${name} with the count, timestamps and lengths tshark prints`, () => {
      const c = readCaptureSync(files[name]!);
      expect(c.error).toBeUndefined();
      const t = tsharkFrames(files[name]!);
      expect(t.length).toBeGreaterThanOrEqual(16); // 4 + 2*3 fragments… echo pairs and ARP
      expect(c.records.map(ours)).toEqual(t.map((f) => [f.epoch, f.len, f.caplen]));
      expect(c.records.map((r) => r.index + 1)).toEqual(t.map((f) => f.number));
      if (name === 'snap') expect(c.records.some((r) => r.capturedLength === 96 && r.originalLength > 96)).toBe(true);
      if (name === 'ns' || name === 'ngTshark') expect(c.records.some((r) => r.tsNsec % 1000 !== 0)).toBe(true);
      if (name.startsWith('ng')) expect(c.format).toBe('pcapng');
    });
  }

  for (const byteOrder of ['little', 'big'] as const) {
    for (const resolution of ['us', 'ns'] as const) {
      it(`tcplab's pcap writer (${byteOrder}-endian, ${resolution}) is read identically by tcpdump and tshark`, () => {
        const src = readCaptureSync(files.ns!);
        const out = join(dir, `w-${byteOrder}-${resolution}.pcap`);
        writePcapFile(out, src.records, { linkType: src.pcapHeader!.linkType, byteOrder, resolution });
        const back = readCaptureSync(out);
        expect(back.error).toBeUndefined();
        // tcpdump prints µs in both; its lines must match the original capture's.
        expect(tool('tcpdump', ['-n', '-tt', '-r', out])).toBe(tool('tcpdump', ['-n', '-tt', '-r', files.ns!]));
        const t = tsharkFrames(out);
        expect(t.map((f) => [f.epoch, f.len, f.caplen])).toEqual(back.records.map(ours));
        const cut = (r: CaptureRecord) => (resolution === 'us' ? Math.floor(r.tsNsec / 1000) * 1000 : r.tsNsec);
        expect(back.records.map((r) => [r.tsSec, r.tsNsec])).toEqual(src.records.map((r) => [r.tsSec, cut(r)]));
      });
    }

    it(`tcplab's pcapng writer (${byteOrder}-endian) with comments and tcplab blocks is read by tcpdump and tshark`, () => {
      const src = readCaptureSync(files.ns!);
      const out = join(dir, `w-${byteOrder}.pcapng`);
      const w = PcapngWriter.create(out, {
        byteOrder,
        comments: ['written by the tcplab capture tests'],
        interfaces: [{ linkType: src.pcapHeader!.linkType, name: 'veth', tsResolution: 'ns' }],
      });
      w.writeTcplabBlock(1, { state: 'ESTABLISHED', cwnd: 14600 });
      src.records.forEach((r, i) => {
        w.write({ ...copyRecord(r), data: r.data, comments: i % 3 === 0 ? [`frame ${i + 1}`, 'second, with comma'] : undefined });
        if (i === 4) w.writeTcplabBlock(1, { state: 'FIN_WAIT_1' }, { copiable: false });
      });
      w.close();
      expect(tool('tcpdump', ['-n', '-tt', '-r', out])).toBe(tool('tcpdump', ['-n', '-tt', '-r', files.ns!]));
      // tshark (4.0 here) shows each custom block as its own record with its PEN; the packets
      // are the records without frame.cb_pen and must match field for field.
      const all = tsharkFrames(out);
      expect(all.filter((f) => f.pen !== '').map((f) => f.pen)).toEqual(['32473', '32473']);
      const packets = tsharkFrames(out, '!frame.cb_pen');
      const back = readCaptureSync(out);
      expect(back.error).toBeUndefined();
      expect(packets.map((f) => [f.epoch, f.len, f.caplen])).toEqual(back.records.map(ours));
      expect(back.records.map(ours)).toEqual(src.records.map(ours));
      expect(packets.map((f) => f.comment)).toEqual(back.records.map((r) => (r.comments ?? []).join(',')));
      expect(packets[0]!.comment).toBe('frame 1,second, with comma');
    });
  }
});
