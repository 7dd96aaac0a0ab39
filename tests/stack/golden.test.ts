/**
 * Golden frames (PyTCP style): a frame in → exactly these bytes out. The expected bytes come from
 * tests/stack/fixtures/golden.py, which packs them with its own checksum code, not tcplab's.
 * Kernel side 192.0.2.1 / 02:00:00:00:00:01, stack 192.0.2.2 / 02:00:00:00:00:02.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { ManualClock } from '@shared/sim/clock';
import { SeededRandom } from '@shared/sim/random';
import { ProbeBus } from '@shared/model/probe';
import { emptyStats, type Device, type FrameListener } from '../../src-main/link/device';
import { Stack } from '../../src-main/stack/stack';
import { startServices } from '../../src-main/stack/services';

const golden = JSON.parse(readFileSync(new URL('./fixtures/golden-frames.json', import.meta.url), 'utf8')) as Record<string, string>;
const hex = (name: string): Uint8Array => Uint8Array.from(Buffer.from(golden[name]!, 'hex'));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** A device that records what the stack sends and lets the test inject received frames. */
class RecordingDevice implements Device {
  readonly name = 'gold0';
  readonly mtu = 1500;
  readonly mac = '02:00:00:00:00:02';
  sent: { frame: Uint8Array; causeId?: number }[] = [];
  private listener: FrameListener | null = null;
  send(frame: Uint8Array, meta?: { causeId?: number }): void {
    this.sent.push({ frame, causeId: meta?.causeId });
  }
  onReceive(l: FrameListener | null): void {
    this.listener = l;
  }
  inject(frame: Uint8Array, causeId?: number): void {
    this.listener?.(frame, { t: 0, causeId });
  }
  async close(): Promise<void> {}
  stats() {
    return emptyStats();
  }
  take(): string[] {
    const out = this.sent.map((s) => toHex(s.frame));
    this.sent = [];
    return out;
  }
}

function setup(opts: { learnPeer?: boolean } = {}) {
  const clock = new ManualClock(0);
  const dev = new RecordingDevice();
  const probes = new ProbeBus();
  const stack = new Stack({ clock, random: new SeededRandom(9), probes, ipv4: { initialIdentification: 0x0100 } });
  const ifc = stack.addInterface({ device: dev, ipv4: '192.0.2.2/24' });
  const gratuitous = dev.take();
  if (opts.learnPeer ?? true) {
    dev.inject(hex('arpReqIn'));
    dev.take();
  }
  return { clock, dev, stack, ifc, probes, gratuitous };
}

describe('golden frames: rx → tx', () => {
  it('ARP: gratuitous announcement when the interface comes up', () => {
    const { gratuitous } = setup({ learnPeer: false });
    expect(gratuitous).toEqual([golden.garp]);
  });

  it('ARP: a request for our address gets a reply, and the requester is learned', () => {
    const { dev, stack } = setup({ learnPeer: false });
    dev.inject(hex('arpReqIn'));
    expect(dev.take()).toEqual([golden.arpReplyOut]);
    expect(stack.arp.lookup(0xc0000201)).toBe('02:00:00:00:00:01');
  });

  it('ARP: a request for another address is ignored', () => {
    const { dev, stack } = setup({ learnPeer: false });
    const other = hex('arpReqIn');
    other[41] = 99; // target 192.0.2.99
    dev.inject(other);
    expect(dev.take()).toEqual([]);
    expect(stack.counters.get('arp.rx.not-for-us')).toBe(1);
    expect(stack.arp.lookup(0xc0000201)).toBeNull();
  });

  it('ICMP: echo request → echo reply (same id, seq, data)', () => {
    const { dev } = setup();
    dev.inject(hex('echoIn'));
    expect(dev.take()).toEqual([golden.echoOut]);
  });

  it('UDP: echo service (port 7) answers from port 7', () => {
    const { dev, stack } = setup();
    startServices(stack, ['echo'], ['udp']);
    dev.inject(hex('udpEchoIn'));
    expect(dev.take()).toEqual([golden.udpEchoOut]);
  });

  it('UDP: a closed port → ICMP port unreachable quoting the whole datagram', () => {
    const { dev, stack } = setup();
    dev.inject(hex('udpClosedIn'));
    expect(dev.take()).toEqual([golden.portUnreachOut]);
    expect(stack.counters.get('udp.drop.no-socket')).toBe(1);
  });

  it('IPv4: an unknown protocol → ICMP protocol unreachable', () => {
    const { dev, stack } = setup();
    dev.inject(hex('proto253In'));
    expect(dev.take()).toEqual([golden.protoUnreachOut]);
    expect(stack.counters.get('ipv4.drop.unknown-protocol')).toBe(1);
  });

  it('IPv4: fragments in reverse order are reassembled; the 2008-byte reply leaves in two fragments', () => {
    const { dev, stack } = setup();
    dev.inject(hex('frag2In'));
    expect(dev.take()).toEqual([]);
    dev.inject(hex('frag1In'));
    expect(dev.take()).toEqual([golden.fragReply1Out, golden.fragReply2Out]);
    expect(stack.counters.get('ipv4.rx.reassembled')).toBe(1);
    expect(stack.ipv4.reassembler.bytesHeld).toBe(0);
  });

  it('IPv4: a lone first fragment times out after 30 s → ICMP time exceeded (code 1)', () => {
    const { dev, clock, stack } = setup();
    dev.inject(hex('lonelyFragIn'));
    clock.advanceBy(29_999);
    expect(dev.take()).toEqual([]);
    clock.advanceBy(1);
    // The peer's ARP entry went stale at 30 s too, so a unicast ARP probe goes first.
    const [probe, error] = dev.take();
    expect(probe!.slice(0, 12 * 2)).toBe('020000000001020000000002'); // unicast to the peer
    expect(probe!.slice(24, 32)).toBe('08060001'); // ARP request
    expect(error).toBe(golden.timeExceededOut);
    expect(stack.counters.get('ipv4.drop.reassembly-timeout')).toBe(1);
  });

  it('IPv4: a lone non-first fragment times out silently (RFC 792: no fragment zero, no message)', () => {
    const { dev, clock, stack } = setup();
    dev.inject(hex('frag2In'));
    clock.advanceBy(30_000);
    expect(dev.take()).toEqual([]);
    expect(stack.counters.get('ipv4.drop.reassembly-timeout')).toBe(1);
  });

  it('IPv4: a bad header checksum is dropped and counted, nothing is sent', () => {
    const { dev, stack } = setup();
    const bad = hex('echoIn');
    bad[24] ^= 0xff; // checksum byte
    dev.inject(bad);
    expect(dev.take()).toEqual([]);
    expect(stack.counters.get('ipv4.drop.bad-checksum')).toBe(1);
  });

  it('receive checks: version, IHL, total length, truncation each have their own counter', () => {
    const { dev, stack } = setup();
    const cases: [string, (b: Uint8Array) => Uint8Array][] = [
      ['ipv4.drop.bad-version', (b) => ((b[14] = 0x65), b)],
      ['ipv4.drop.bad-ihl', (b) => ((b[14] = 0x44), b)],
      ['ipv4.drop.bad-total-length', (b) => ((b[16] = 0), (b[17] = 10), b)],
      ['ipv4.drop.truncated', (b) => b.subarray(0, 60)],
      ['icmp.drop.bad-checksum', (b) => ((b[40] ^= 1), b)],
      ['eth.drop.not-for-us', (b) => ((b[5] = 9), b)],
      ['eth.drop.runt', (b) => b.subarray(0, 10)],
    ];
    for (const [counter, mutate] of cases) {
      dev.inject(mutate(hex('echoIn')));
      expect(stack.counters.get(counter), counter).toBe(1);
    }
    expect(dev.take()).toEqual([]);
  });

  it('UDP: a bad checksum is dropped; a zero checksum (none) is accepted', () => {
    const { dev, stack } = setup();
    startServices(stack, ['echo'], ['udp']);
    const bad = hex('udpEchoIn');
    bad[41] ^= 1;
    dev.inject(bad);
    expect(dev.take()).toEqual([]);
    expect(stack.counters.get('udp.drop.bad-checksum')).toBe(1);
    const none = hex('udpEchoIn');
    none[40] = 0;
    none[41] = 0;
    dev.inject(none);
    expect(dev.take()).toEqual([golden.udpEchoOut]);
    expect(stack.counters.get('udp.rx.no-checksum')).toBe(1);
  });

  it('echo requests to a broadcast address are ignored (Linux icmp_echo_ignore_broadcasts)', () => {
    const { dev, stack } = setup();
    const b = hex('echoIn');
    b.set([0xff, 0xff, 0xff, 0xff, 0xff, 0xff], 0);
    // Destination 192.0.2.255 with the header checksum fixed up by hand: +0x00fd in the sum.
    b[33] = 255;
    const sum = ((b[24]! << 8) | b[25]!) - 0xfd;
    b[24] = (sum >> 8) & 0xff;
    b[25] = sum & 0xff;
    dev.inject(b);
    expect(dev.take()).toEqual([]);
    expect(stack.counters.get('icmp.drop.echo-broadcast-ignored')).toBe(1);
  });

  it('every emitted frame carries the id of the event that caused it', () => {
    const { dev, probes } = setup();
    const events: { id: number; causeId?: number; layer: string; kind: string }[] = [];
    probes.subscribe((e) => events.push(e));
    dev.inject(hex('echoIn'), 4242);
    const sent = dev.sent[0]!;
    expect(sent.causeId).toBeDefined();
    // Walk the cause chain back from the frame: packet-out ← echo handling ← packet-in ← frame 4242.
    const chain: string[] = [];
    let id: number | undefined = sent.causeId;
    while (id !== undefined && id !== 4242) {
      const e = events.find((x) => x.id === id);
      if (!e) break;
      chain.push(`${e.layer}/${e.kind}`);
      id = e.causeId;
    }
    expect(id).toBe(4242);
    expect(chain).toEqual(['ipv4/packet-out', 'icmp/message-in', 'ipv4/packet-in']);
  });
});
