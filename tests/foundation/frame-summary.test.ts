import { describe, expect, it } from 'vitest';
import { FrameSummarizer, infoOf } from '@shared/format/frame-summary';
import { CaptureReader } from '../../src-main/capture';
import { cachedSyntheticCapture } from '../../src-main/capture/synthetic';
import { TcpdumpPrinter } from '@shared/format/tcpdump';
import { findDemoCapture } from '../../src-main/session/sources/demo';
import { toFrame } from '../../src-main/session/sources/file';
import { decodePacket, type DecodedPacket } from '@shared/wire/decode';
import { ipv4ToString } from '@shared/wire/address';

/** The address columns as they were made before endpoint names were cached. */
function referenceAddresses(pkt: DecodedPacket): [string, string] {
  if (pkt.ipv4) {
    const ports = pkt.tcp ?? pkt.udp;
    const s = ipv4ToString(pkt.ipv4.src);
    const d = ipv4ToString(pkt.ipv4.dst);
    return ports ? [`${s}:${ports.srcPort}`, `${d}:${ports.dstPort}`] : [s, d];
  }
  if (pkt.arp) return [pkt.arp.senderMac, pkt.arp.targetMac];
  if (pkt.link && pkt.link.kind === 'ethernet') return [pkt.link.src, pkt.link.dst];
  return ['', ''];
}

/** What the Info column was before it avoided the regular expression: the reference. */
const reference = (line: string): string => line.split('\n', 1)[0]!.replace(/^IP (?:\S+) > (?:\S+): /, '');

describe('frame summary Info column', () => {
  it('strips the IP prefix exactly as the regular expression did, on awkward lines', () => {
    const lines = [
      'IP 192.0.2.1.5000 > 192.0.2.2.80: Flags [S], seq 1, win 512, length 0\n',
      'IP 192.0.2.1 > 192.0.2.2: ICMP echo request, id 1, seq 1, length 64',
      'IP 192.0.2.1 > 192.0.2.2:ICMP no space',
      'IP 192.0.2.1 > 192.0.2.2:',
      'IP 192.0.2.1 > :: x',
      'IP a > b:c: d',
      'IP  > b: x',
      'IP a >  b: x',
      'IP a\t> b: x',
      'IP a > b:\tx',
      'IP a > b\u00a0c: x',
      'IP6 ::1 > ::1: UDP, length 4',
      'ARP, Request who-has 192.0.2.2 tell 192.0.2.1, length 28',
      'IP a > b: first\nIP c > d: second',
      '',
      'IP',
    ];
    for (const line of lines) expect(infoOf(line), JSON.stringify(line)).toBe(reference(line));
  });

  it('match the reference on every frame of the demo and a synthetic capture (Info and the cached endpoint names)', () => {
    for (const path of [findDemoCapture(), cachedSyntheticCapture('pcap', 5_000).path]) {
      const reader = CaptureReader.open(path);
      const summarizer = new FrameSummarizer();
      const printer = new TcpdumpPrinter({ timestamp: 1 });
      let n = 0;
      for (let r = reader.next(); r !== null; r = reader.next()) {
        const frame = toFrame(r);
        const row = summarizer.summarize(++n, frame, 0);
        const line = printer.printFrame(frame.linkType, frame.data, frame.originalLength, Math.floor(frame.tsUs / 1e6), frame.tsUs % 1e6);
        expect(row.info).toBe(reference(line));
        expect([row.src, row.dst]).toEqual(referenceAddresses(decodePacket(frame.linkType, frame.data, frame.originalLength)));
      }
      reader.close();
      expect(n).toBeGreaterThan(10);
    }
  });
});
