import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { analyzeCaptureFile } from '../../src-main/cli/commands/analysis-file';
import { FIELDS } from '../../src-shared/analysis/fields';
import { missing, title } from '../support/requirements';
import { compareWithTshark, tsharkFields } from './support/agreement';
import { bulk, Trace } from './support/craft';

/**
 * Scripted traces written as pcaps and read by both tshark and tcplab: every tshark field agrees,
 * and the cases where tshark is known to be wrong are pinned down with tshark's actual output
 * next to tcplab's SACK-aware answer (docs/analysis.md, "Where tshark is wrong").
 */
const M = 1448;
const why = missing('tshark');
const dir = mkdtempSync(join(tmpdir(), 'tcplab-analysis-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function ours(file: string, frame: number, fields: string[]): string[] {
  const { analyzer } = analyzeCaptureFile(file);
  const s = analyzer.store;
  for (let i = 0; i < s.length; i++) {
    if (s.frame[i] === frame) return fields.map((f) => FIELDS[f]!.get(s, i, analyzer.conversations[s.stream[i]!]!));
  }
  throw new Error(`no frame ${frame}`);
}

/** Four holes; the receiver repeats only its three newest SACK blocks (as with timestamps on). */
function forgottenSackBlock(): Trace {
  return new Trace()
    .handshake()
    .add(...bulk(10, 10))
    .add(
      { t: 10.3, from: 'b', flags: 'A', seq: 1, ack: 1 + M, win: 500 },
      { t: 10.31, from: 'b', flags: 'A', seq: 1, ack: 1 + M, win: 500, sack: [[1 + 2 * M, 1 + 3 * M]] },
      { t: 10.32, from: 'b', flags: 'A', seq: 1, ack: 1 + M, win: 500, sack: [[1 + 4 * M, 1 + 5 * M], [1 + 2 * M, 1 + 3 * M]] },
      { t: 10.33, from: 'b', flags: 'A', seq: 1, ack: 1 + M, win: 500, sack: [[1 + 6 * M, 1 + 7 * M], [1 + 4 * M, 1 + 5 * M], [1 + 2 * M, 1 + 3 * M]] },
      { t: 10.34, from: 'b', flags: 'A', seq: 1, ack: 1 + M, win: 500, sack: [[1 + 8 * M, 1 + 10 * M], [1 + 6 * M, 1 + 7 * M], [1 + 4 * M, 1 + 5 * M]] },
      { t: 10.35, from: 'a', flags: 'A', seq: 1 + 10 * M, ack: 1, len: M, win: 502 }, // frame 19
      { t: 10.5, from: 'a', flags: 'A', seq: 1 + M, ack: 1, len: M, win: 502 }, // frame 20
    );
}

/** Four holes reported in one ACK with four SACK blocks (no timestamps, so four fit). */
function fourSackBlocks(): Trace {
  return new Trace()
    .handshake()
    .add(...bulk(10, 10))
    .add(
      { t: 10.3, from: 'b', flags: 'A', seq: 1, ack: 1 + M, win: 500 },
      {
        t: 10.34,
        from: 'b',
        flags: 'A',
        seq: 1,
        ack: 1 + M,
        win: 500,
        sack: [[1 + 8 * M, 1 + 10 * M], [1 + 6 * M, 1 + 7 * M], [1 + 4 * M, 1 + 5 * M], [1 + 2 * M, 1 + 3 * M]],
      },
      { t: 10.35, from: 'a', flags: 'A', seq: 1 + 10 * M, ack: 1, len: M, win: 502 }, // frame 16
    );
}

/** A retransmission of a SACK-reported hole sent sooner than the initial RTT after new data. */
function quickHoleRetransmission(): Trace {
  return new Trace()
    .handshake()
    .add(...bulk(10, 4))
    .add(
      { t: 10.2, from: 'b', flags: 'A', seq: 1, ack: 1 + M, win: 500 },
      { t: 10.21, from: 'b', flags: 'A', seq: 1, ack: 1 + M, win: 500, sack: [[1 + 2 * M, 1 + 4 * M]] },
      { t: 10.4, from: 'a', flags: 'A', seq: 1 + M, ack: 1, len: M, win: 502 }, // frame 10
    );
}

/** Linux's zero-window probe: no data, seq = SND.UNA - 1, while the peer's window is zero. */
function linuxZeroWindowProbe(): Trace {
  return new Trace()
    .handshake()
    .add(...bulk(10, 2))
    .add(
      { t: 11, from: 'b', flags: 'A', seq: 1, ack: 1 + 2 * M, win: 0 },
      { t: 211, from: 'a', flags: 'A', seq: 2 * M, ack: 1, win: 502 }, // frame 7
      { t: 211.1, from: 'b', flags: 'A', seq: 1, ack: 1 + 2 * M, win: 0 },
    );
}

describe.skipIf(why !== null)(title(why, 'scripted traces against tshark'), () => {
  it.each([
    ['forgotten SACK block', forgottenSackBlock],
    ['quick hole retransmission', quickHoleRetransmission],
    ['Linux zero-window probe', linuxZeroWindowProbe],
    ['four SACK blocks', fourSackBlocks],
  ])('%s: every tshark field agrees', (name, make) => {
    const file = make().writePcap(join(dir, `${name.replace(/ /g, '-')}.pcap`));
    const a = compareWithTshark(file);
    expect(a.differences).toEqual([]);
    expect(a.frames).toBe(make().specs.length);
  });

  it('tshark subtracts only the SACK blocks of the latest ACK from bytes in flight', () => {
    const file = forgottenSackBlock().writePcap(join(dir, 'bif.pcap'));
    const theirs = tsharkFields(file, ['tcp.analysis.bytes_in_flight']).get(19)!;
    // Outstanding 1449..15929 = 14480 bytes; SACKed: 3 single segments + 2 segments = 7240.
    // tshark subtracts the three blocks of frame 18 only (5792) and forgets [2897, 4345).
    expect(theirs).toEqual(['8688']);
    expect(ours(file, 19, ['tcp.analysis.bytes_in_flight', 'tcplab.analysis.sack_bytes_in_flight'])).toEqual(['8688', '7240']);
  });

  it('tshark uses only the first three SACK blocks of an option', () => {
    const file = fourSackBlocks().writePcap(join(dir, 'sack4.pcap'));
    // Outstanding 14480; SACKed 7240 in four blocks; tshark subtracts the first three (5792).
    expect(tsharkFields(file, ['tcp.analysis.bytes_in_flight']).get(16)).toEqual(['8688']);
    expect(ours(file, 16, ['tcp.analysis.bytes_in_flight', 'tcplab.analysis.sack_bytes_in_flight'])).toEqual(['8688', '7240']);
  });

  it('tshark calls a quick retransmission of a SACK-reported hole out-of-order', () => {
    const file = quickHoleRetransmission().writePcap(join(dir, 'ooo.pcap'));
    const fields = ['tcp.analysis.out_of_order', 'tcp.analysis.retransmission'];
    // Sent 0.37 ms after the highest segment, under the 2 ms initial RTT: tshark's out-of-order rule.
    expect(tsharkFields(file, fields).get(10)).toEqual(['1', '']);
    // The bytes were captured before and the receiver's SACK reported them missing: a retransmission.
    expect(ours(file, 10, [...fields, 'tcplab.analysis.sack_retransmission', 'tcplab.analysis.sack_out_of_order'])).toEqual([
      '1',
      '',
      '1',
      '',
    ]);
  });

  it('tshark calls a Linux zero-window probe a keep-alive', () => {
    const file = linuxZeroWindowProbe().writePcap(join(dir, 'zwp.pcap'));
    const fields = ['tcp.analysis.keep_alive', 'tcp.analysis.zero_window_probe'];
    expect(tsharkFields(file, fields).get(7)).toEqual(['1', '']);
    expect(ours(file, 7, [...fields, 'tcplab.analysis.window_probe'])).toEqual(['1', '', '1']);
  });
});
