/**
 * The receiver's D-SACKs (RFC 2883): the ACK for a wholly duplicate segment carries the duplicate
 * range as its first SACK block, once, and only on SACK connections with `dsack` on. End to end
 * between two tcplab stacks, a spurious retransmission's D-SACK widens the sender's RACK reo_wnd
 * (RFC 8985 §6.2 step 4).
 */
import { describe, expect, it } from 'vitest';
import { Harness, LOCAL_ISS, PLAIN, REMOTE_ISS, TCP_ACK, TCP_SYN, bytes, lseq, rseq } from './harness';
import { seqAdd } from '@shared/wire/seq';
import type { TcpConfig } from '../../src-main/stack/tcp/connection';
import type { TcpOption, TcpSegment } from '../../src-main/stack/tcp/segment';
import { payloadBytes, type Ipv4SendRequest } from '../../src-main/stack/ip/protocols';
import { LINKTYPE_RAW, type WritableRecord } from '../../src-main/capture/types';
import { writePcapFile } from '../../src-main/capture/writer';
import { A, B, SimNet, type SimHost } from './simnet';
import { missing, title } from '../support/requirements';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** ESTABLISHED with SACK negotiated (the peer's SYN offers it), delayed ACKs on. */
function sackEst(config: Partial<TcpConfig> = {}): Harness {
  const h = new Harness({ ...PLAIN, sack: true, ...config });
  h.conn.listen(() => LOCAL_ISS);
  h.recv({ flags: TCP_SYN, seq: REMOTE_ISS, options: [{ kind: 'mss', value: 1000 }, { kind: 'sack-permitted' }] });
  h.take();
  h.recv({ flags: TCP_ACK, seq: seqAdd(REMOTE_ISS, 1), ack: seqAdd(LOCAL_ISS, 1) });
  h.take();
  return h;
}

function sackOf(s: TcpSegment): [number, number][] {
  const o = s.options.find((x): x is Extract<TcpOption, { kind: 'sack' }> => x.kind === 'sack');
  return o ? o.blocks.map((b) => [b.left, b.right]) : [];
}

describe('D-SACK (RFC 2883 §4)', () => {
  it('a duplicate below RCV.NXT is ACKed at once with the duplicate as the only block', () => {
    const h = sackEst();
    h.at(10).recv({ seq: rseq(0), ack: lseq(0), payload: bytes(100) });
    h.at(210);
    expect(h.one().ack).toBe(rseq(100)); // the delayed ACK, no SACK option
    h.at(300).recv({ seq: rseq(0), ack: lseq(0), payload: bytes(100) });
    const a = h.one(); // at once, not after the delayed-ACK timeout
    expect(a.ack).toBe(rseq(100));
    expect(sackOf(a)).toEqual([[rseq(0), rseq(100)]]);
  });

  it('a segment partly below RCV.NXT reports the part below (and its new data is taken)', () => {
    const h = sackEst();
    h.at(10).recv({ seq: rseq(0), ack: lseq(0), payload: bytes(100) });
    h.at(20).recv({ seq: rseq(50), ack: lseq(0), payload: bytes(100, 50) });
    const a = h.one();
    expect(a.ack).toBe(rseq(150));
    expect(sackOf(a)).toEqual([[rseq(50), rseq(100)]]);
    expect(h.conn.readableBytes).toBe(150);
  });

  it('a duplicate of a held out-of-order range: D-SACK first, then the enclosing range (§4.1)', () => {
    const h = sackEst();
    h.at(10).recv({ seq: rseq(1000), ack: lseq(0), payload: bytes(200) });
    expect(sackOf(h.one())).toEqual([[rseq(1000), rseq(1200)]]);
    h.at(11).recv({ seq: rseq(2000), ack: lseq(0), payload: bytes(100) });
    expect(sackOf(h.one())).toEqual([
      [rseq(2000), rseq(2100)],
      [rseq(1000), rseq(1200)],
    ]);
    h.at(12).recv({ seq: rseq(1100), ack: lseq(0), payload: bytes(100) });
    const a = h.one();
    expect(a.ack).toBe(rseq(0));
    expect(sackOf(a)).toEqual([
      [rseq(1100), rseq(1200)],
      [rseq(1000), rseq(1200)],
      [rseq(2000), rseq(2100)],
    ]);
  });

  it('a segment that partly overlaps a held range reports only the overlap, then the merged range', () => {
    const h = sackEst();
    h.at(10).recv({ seq: rseq(1000), ack: lseq(0), payload: bytes(200) });
    h.one();
    // [1100, 1300): 100 bytes already held, 100 new.
    h.at(11).recv({ seq: rseq(1100), ack: lseq(0), payload: bytes(200, 1100) });
    const a = h.one();
    expect(a.ack).toBe(rseq(0));
    expect(sackOf(a)).toEqual([
      [rseq(1100), rseq(1200)],
      [rseq(1000), rseq(1300)],
    ]);
  });

  it('a segment only adjacent to a held range is new data: no D-SACK', () => {
    const h = sackEst();
    h.at(10).recv({ seq: rseq(1000), ack: lseq(0), payload: bytes(200) });
    h.one();
    h.at(11).recv({ seq: rseq(800), ack: lseq(0), payload: bytes(200, 800) });
    expect(sackOf(h.one())).toEqual([[rseq(800), rseq(1200)]]);
  });

  it('an in-order segment that runs on into held data reports the part it duplicated (below the new ACK)', () => {
    const h = sackEst();
    h.at(10).recv({ seq: rseq(500), ack: lseq(0), payload: bytes(500, 500) });
    h.one();
    // A retransmission of [0, 700) fills the hole and repeats [500, 700).
    h.at(11).recv({ seq: rseq(0), ack: lseq(0), payload: bytes(700) });
    const a = h.one();
    expect(a.ack).toBe(rseq(1000));
    expect(sackOf(a)).toEqual([[rseq(500), rseq(700)]]);
    expect(h.conn.readableBytes).toBe(1000);
  });

  it('a late original that PAWS rejects (its retransmission carried a newer TSval) is D-SACKed too', () => {
    const ts = (tsval: number) => ({ kind: 'timestamps' as const, tsval, tsecr: 0 });
    const h = new Harness({ ...PLAIN, sack: true, timestamps: true });
    h.conn.listen(() => LOCAL_ISS);
    h.recv({ flags: TCP_SYN, seq: REMOTE_ISS, options: [{ kind: 'mss', value: 1000 }, { kind: 'sack-permitted' }, ts(100)] });
    h.take();
    h.recv({ flags: TCP_ACK, seq: seqAdd(REMOTE_ISS, 1), ack: seqAdd(LOCAL_ISS, 1), options: [ts(101)] });
    h.take();
    // The retransmission of [0, 100) arrives first (TSval 300), then the original (TSval 200).
    h.at(10).recv({ seq: rseq(0), ack: lseq(0), payload: bytes(100), options: [ts(300)] });
    h.at(300);
    h.take();
    h.at(310).recv({ seq: rseq(0), ack: lseq(0), payload: bytes(100), options: [ts(200)] });
    expect(h.events.some((e) => e.kind === 'drop' && e.data.reason === 'paws')).toBe(true);
    const a = h.one();
    expect(a.ack).toBe(rseq(100));
    expect(sackOf(a)).toEqual([[rseq(0), rseq(100)]]);
  });

  it('the D-SACK counts toward the 4 blocks an option holds without timestamps (RFC 2018 §3)', () => {
    const h = sackEst();
    for (let i = 1; i <= 4; i++) h.at(i).recv({ seq: rseq(i * 200), ack: lseq(0), payload: bytes(100) });
    h.take();
    h.at(10).recv({ seq: rseq(200), ack: lseq(0), payload: bytes(100) });
    const blocks = sackOf(h.one());
    // No timestamps in this harness: 4 blocks, the D-SACK and three ranges, newest first.
    expect(blocks).toEqual([
      [rseq(200), rseq(300)],
      [rseq(200), rseq(300)],
      [rseq(800), rseq(900)],
      [rseq(600), rseq(700)],
    ]);
  });

  it('is reported once: the next ACK carries no D-SACK', () => {
    const h = sackEst();
    h.at(10).recv({ seq: rseq(1000), ack: lseq(0), payload: bytes(100) });
    h.take();
    h.at(11).recv({ seq: rseq(1000), ack: lseq(0), payload: bytes(100) });
    expect(sackOf(h.one())).toEqual([
      [rseq(1000), rseq(1100)],
      [rseq(1000), rseq(1100)],
    ]);
    h.at(12).recv({ seq: rseq(2000), ack: lseq(0), payload: bytes(100) });
    expect(sackOf(h.one())).toEqual([
      [rseq(2000), rseq(2100)],
      [rseq(1000), rseq(1100)],
    ]);
    // In order data after a below-RCV.NXT duplicate: the ACK that follows has no SACK at all.
    const g = sackEst({ delayedAckMs: 0 });
    g.at(10).recv({ seq: rseq(0), ack: lseq(0), payload: bytes(100) });
    g.take();
    g.at(11).recv({ seq: rseq(0), ack: lseq(0), payload: bytes(100) });
    expect(sackOf(g.one())).toEqual([[rseq(0), rseq(100)]]);
    g.at(12).recv({ seq: rseq(100), ack: lseq(0), payload: bytes(100) });
    expect(sackOf(g.one())).toEqual([]);
  });

  it('off switch (dsack: false): a duplicate gets a plain ACK', () => {
    const h = sackEst({ dsack: false });
    h.at(10).recv({ seq: rseq(0), ack: lseq(0), payload: bytes(100) });
    h.at(210).take();
    h.at(300).recv({ seq: rseq(0), ack: lseq(0), payload: bytes(100) });
    expect(sackOf(h.one())).toEqual([]);
    h.at(310).recv({ seq: rseq(1000), ack: lseq(0), payload: bytes(100) });
    h.take();
    h.at(311).recv({ seq: rseq(1000), ack: lseq(0), payload: bytes(100) });
    expect(sackOf(h.one())).toEqual([[rseq(1000), rseq(1100)]]);
  });

  it('without SACK negotiated there is no SACK option at all', () => {
    const h = new Harness({ ...PLAIN, sack: true }).established(); // the peer did not offer SACK
    h.at(10).recv({ seq: rseq(0), ack: lseq(0), payload: bytes(100) });
    h.at(210).take();
    h.at(300).recv({ seq: rseq(0), ack: lseq(0), payload: bytes(100) });
    expect(h.one().options.some((o) => o.kind === 'sack')).toBe(false);
  });
});

describe('D-SACK end to end between two tcplab stacks (RFC 8985 §6.2 step 4)', () => {
  /**
   * A sends 200 kB to B over 10 ms each way; A's 3rd data segment is held back 100 ms, so RACK on A
   * retransmits it (spuriously) and B then receives the original as a duplicate.
   */
  async function run(receiver: Partial<TcpConfig>): Promise<{ reoWndMult: number; dsacks: number; received: number; packets: WritableRecord[]; undos: number; undoEvents: number; retransmits: number }> {
    const net = new SimNet(7, { delayMs: 10 });
    // Every datagram as a raw IPv4 packet (header checksum left 0; tshark does not check it by default).
    const packets: WritableRecord[] = [];
    net.onSend = (from, to, tcp) => {
      const ip = new Uint8Array(20 + tcp.length);
      const dv = new DataView(ip.buffer);
      ip[0] = 0x45;
      dv.setUint16(2, ip.length);
      ip[8] = 64;
      ip[9] = 6;
      dv.setUint32(12, from);
      dv.setUint32(16, to);
      ip.set(tcp, 20);
      const ms = net.clock.now();
      packets.push({ data: ip, tsSec: Math.floor(ms / 1000), tsNsec: Math.round((ms % 1000) * 1e6) });
    };
    const a = net.addHost(A);
    let undoEvents = 0;
    net.probes.subscribe((e) => {
      if (e.kind === 'spurious-undo') undoEvents++;
    });
    const b = net.addHost(B, { config: receiver });
    let dataFromA = 0;
    let dsacks = 0;
    const send = net.send.bind(net);
    net.send = (from: SimHost, req: Ipv4SendRequest) => {
      const tcp = payloadBytes(req.payload);
      const headerLen = (tcp[12]! >> 4) * 4;
      if (from === a && tcp.length > headerLen && ++dataFromA === 3) {
        net.impair = { delayMs: 110 };
        try {
          return send(from, req);
        } finally {
          net.impair = { delayMs: 10 };
        }
      }
      return send(from, req);
    };
    const srv = b.socket();
    srv.bind(0, 5000);
    srv.listen(1);
    let received = 0;
    let eof = false;
    void (async () => {
      const peer = await srv.accept();
      for (;;) {
        const c = await peer.recv(1 << 20);
        if (c.length === 0) break;
        received += c.length;
      }
      eof = true;
    })();
    const cli = a.socket();
    let sent = false;
    void (async () => {
      await cli.connect(B, 5000);
      await cli.send(bytes(200_000));
      cli.shutdown('SHUT_WR');
      sent = true;
    })();
    // Count the D-SACKs B sends: SACK options whose first block lies below the cumulative ACK.
    const origSend = net.send;
    net.send = (from: SimHost, req: Ipv4SendRequest) => {
      if (from === b) {
        const tcp = payloadBytes(req.payload);
        const ack = ((tcp[8]! << 24) | (tcp[9]! << 16) | (tcp[10]! << 8) | tcp[11]!) >>> 0;
        const end = (tcp[12]! >> 4) * 4;
        for (let i = 20; i < end; ) {
          const kind = tcp[i]!;
          if (kind === 0) break;
          if (kind === 1) {
            i++;
            continue;
          }
          const len = tcp[i + 1]!;
          if (kind === 5 && len >= 10) {
            const right = ((tcp[i + 6]! << 24) | (tcp[i + 7]! << 16) | (tcp[i + 8]! << 8) | tcp[i + 9]!) >>> 0;
            if (((ack - right) | 0) >= 0) dsacks++;
          }
          i += len;
        }
      }
      return origSend(from, req);
    };
    // Until A has its FIN acknowledged and nothing is left in flight: the late original and the
    // ACKs (and any D-SACK in them) have all arrived.
    const done = await net.runUntil(() => eof && sent && cli.state === 'FIN-WAIT-2' && net.clock.nextTimerAt() === undefined, 120_000);
    expect(done).toBe(true);
    return { reoWndMult: cli.connection!.rack!.reoWndMult, dsacks, received, packets, undos: cli.connection!.stats.spuriousUndos, undoEvents, retransmits: cli.connection!.stats.retransmits };
  }

  it('the original arriving after a spurious retransmission is D-SACKed and widens reo_wnd', async () => {
    const on = await run({});
    expect(on.received).toBe(200_000);
    expect(on.dsacks).toBeGreaterThanOrEqual(1);
    expect(on.reoWndMult).toBe(2);
    // One retransmission: the new data sent in the same instant before it, SACKed first, does not
    // make RACK call it lost again (transmission order, not sequence, breaks the time tie).
    expect(on.retransmits).toBe(1);
    // Every retransmission of that episode was D-SACKed: A undid its reduction (RFC 3708, RFC 4015).
    expect(on.undos).toBe(1);
    expect(on.undoEvents).toBe(1);
  });

  it('with the receiver\'s dsack off the same run leaves reo_wnd alone', async () => {
    const off = await run({ dsack: false });
    expect(off.received).toBe(200_000);
    expect(off.dsacks).toBe(0);
    expect(off.reoWndMult).toBe(1);
    expect(off.undos).toBe(0);
  });

  const why = missing('tshark');
  it.skipIf(why !== null)(title(why, 'tshark decodes the first block of those ACKs as a D-SACK'), async () => {
    const on = await run({});
    const dir = mkdtempSync(join(tmpdir(), 'tcplab-dsack-'));
    try {
      const file = join(dir, 'dsack.pcap');
      writePcapFile(file, on.packets, { linkType: LINKTYPE_RAW, resolution: 'ns' });
      const out = execFileSync('tshark', ['-r', file, '-o', 'tcp.relative_sequence_numbers:FALSE', '-Y', 'tcp.options.sack.dsack', '-T', 'fields', '-e', 'tcp.ack', '-e', 'tcp.options.sack.dsack_le', '-e', 'tcp.options.sack.dsack_re'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
      const rows = out.trim().split('\n').filter((l) => l.length > 0).map((l) => l.split('\t').map(Number));
      expect(rows.length).toBeGreaterThan(0);
      expect(rows).toHaveLength(on.dsacks);
      for (const [ack, le, re] of rows) {
        expect(re! - le!).toBe(1448); // one full segment (MSS 1460 less the timestamps)
        expect(re).toBeLessThanOrEqual(ack!);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
