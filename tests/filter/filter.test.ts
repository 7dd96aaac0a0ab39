import { describe, expect, it } from 'vitest';
import { compileFilter, FilterError, parseFilter, analysisFlagNames, type FilterFrame } from '@shared/filter';
import { A_DUPLICATE_ACK, A_FAST_RETRANSMISSION, A_RETRANSMISSION, A_ZERO_WINDOW } from '@shared/analysis/types';

const ip = (s: string) => s.split('.').reduce((a, b) => a * 256 + Number(b), 0);

function tcpFrame(no: number, o: Partial<NonNullable<FilterFrame['tcp']>> & { src?: string; dst?: string } = {}): FilterFrame {
  const { src = '192.0.2.1', dst = '192.0.2.2', ...tcp } = o;
  return {
    number: no,
    len: 60,
    timeRelative: no * 0.5,
    protocols: ['eth', 'ip', 'tcp'],
    info: 'Flags [S], seq 0',
    eth: { src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02', type: 0x800 },
    ip: { src: ip(src), dst: ip(dst), ttl: 64, proto: 6, len: 40, id: 1 },
    tcp: { srcPort: 40000, dstPort: 80, flags: 0x10, seq: 1, ack: 1, seqRaw: 1001, ackRaw: 2001, len: 0, windowValue: 512, windowSize: 65536, stream: 0, analysis: 0, ...tcp },
  };
}
const arpFrame: FilterFrame = { number: 1, len: 42, timeRelative: 0, protocols: ['eth', 'arp'], eth: { src: '02:00:00:00:00:01', dst: 'ff:ff:ff:ff:ff:ff', type: 0x806 }, arp: { opcode: 1, senderIp: ip('192.0.2.1'), targetIp: ip('192.0.2.2') } };

const syn = tcpFrame(2, { flags: 0x02 });
const synAck = tcpFrame(3, { flags: 0x12, srcPort: 80, dstPort: 40000, src: '192.0.2.2', dst: '192.0.2.1' });
const retrans = tcpFrame(4, { analysis: A_RETRANSMISSION, len: 100 });
const fastRetrans = tcpFrame(5, { analysis: A_RETRANSMISSION | A_FAST_RETRANSMISSION, len: 100, stream: 3 });
const other = tcpFrame(6, { srcPort: 5555, dstPort: 6666, src: '198.51.100.7', dst: '203.0.113.9', stream: 1 });
const all = [arpFrame, syn, synAck, retrans, fastRetrans, other];

const run = (text: string) => all.filter((f) => compileFilter(text).matches(f)).map((f) => f.number);

function errorOf(text: string): FilterError {
  try {
    parseFilter(text);
  } catch (e) {
    if (e instanceof FilterError) return e;
    throw e;
  }
  throw new Error(`"${text}" parsed without an error`);
}

describe('display filter: grammar', () => {
  it('tcp.port == 80 && tcp.flags.syn == 1 selects the SYN and the SYN-ACK', () => {
    expect(run('tcp.port == 80 && tcp.flags.syn == 1')).toEqual([2, 3]);
  });
  it('ip.addr matches either address; ip.src only the source', () => {
    expect(run('ip.addr == 192.0.2.1')).toEqual([2, 3, 4, 5]);
    expect(run('ip.src == 192.0.2.2')).toEqual([3]);
    expect(run('ip.addr == 203.0.113.9')).toEqual([6]);
  });
  it('tcp.stream eq 3 (word operators)', () => {
    expect(run('tcp.stream eq 3')).toEqual([5]);
    expect(run('tcp.stream ne 0')).toEqual([1, 5, 6]);
  });
  it('tcp.analysis.retransmission is a presence test and includes fast retransmissions', () => {
    expect(run('tcp.analysis.retransmission')).toEqual([4, 5]);
    expect(run('tcp.analysis.fast_retransmission')).toEqual([5]);
  });
  it('!arp and not arp', () => {
    expect(run('!arp')).toEqual([2, 3, 4, 5, 6]);
    expect(run('not arp')).toEqual([2, 3, 4, 5, 6]);
    expect(run('arp')).toEqual([1]);
  });
  it('|| and or; && binds tighter than ||', () => {
    expect(run('arp || tcp.stream == 1')).toEqual([1, 6]);
    expect(run('arp or tcp.flags.syn == 1 and tcp.srcport == 80')).toEqual([1, 3]);
  });
  it('parentheses change the grouping', () => {
    expect(run('(arp || tcp.flags.syn == 1) && ip.src == 192.0.2.1')).toEqual([2]);
    expect(run('!(tcp.port == 80)')).toEqual([1, 6]);
  });
  it('comparison operators', () => {
    expect(run('tcp.len > 0')).toEqual([4, 5]);
    expect(run('tcp.len >= 100 && tcp.stream lt 3')).toEqual([4]);
    expect(run('tcp.srcport <= 80')).toEqual([3]);
    expect(run('frame.number ge 5')).toEqual([5, 6]);
    expect(run('frame.time_relative < 1.2')).toEqual([1, 2]);
    expect(run('tcp.flags == 0x12')).toEqual([3]);
  });
  it('!= on a multi-valued field is "all not equal" (Wireshark ≥ 3.6)', () => {
    expect(run('ip.addr != 192.0.2.1')).toEqual([1, 6]);
  });
  it('contains on text; eth.addr with a MAC', () => {
    expect(run('frame.info contains "flags [s]"')).toEqual([2, 3, 4, 5, 6]);
    expect(run('eth.dst == ff:ff:ff:ff:ff:ff')).toEqual([1]);
  });
  it('analysis flag names for colouring name the most specific flag', () => {
    expect(analysisFlagNames(A_RETRANSMISSION | A_FAST_RETRANSMISSION)).toEqual(['fast_retransmission']);
    expect(analysisFlagNames(A_DUPLICATE_ACK | A_ZERO_WINDOW)).toEqual(['duplicate_ack', 'zero_window']);
    expect(analysisFlagNames(0)).toEqual([]);
  });
});

describe('display filter: errors name the column', () => {
  it.each([
    ['tcp.prot == 80', 1, /unknown field "tcp.prot"/],
    ['tcp.port = 80', 10, /single "=".*"=="/],
    ['tcp.port == ', 13, /expected a value.*end of the filter/],
    ['ip.addr == 192.0.2.300', 12, /not an IPv4 address/],
    ['(tcp.port == 80', 16, /expected "\)" to close the "\(" at column 1/],
    ['tcp.port == 80)', 15, /unmatched "\)"/],
    ['tcp.port == 80 &&', 18, /expected a field name or "\(".*end/],
    ['tcp.port == 80 & arp', 16, /"&" alone.*"&&"/],
    ['tcp.flags.syn == 2', 18, /flag: its value is 0 or 1/],
    ['tcp.port == 70000', 13, /out of range.*0–65535/],
    ['tcp.port == http', 13, /not an unsigned integer/],
    ['', 1, /empty filter/],
    ['tcp.port 80', 10, /expected an operator/],
    ['tcp.port == "80', 13, /unterminated string/],
    ['tcp.port == 80 $', 16, /unexpected character "\$"/],
  ])('%s → column %i', (text, column, message) => {
    const e = errorOf(text);
    expect(e.column).toBe(column);
    expect(e.message).toMatch(message);
    expect(e.message.startsWith(`column ${column}:`)).toBe(true);
  });
  it('suggests a field for a short name', () => {
    expect(errorOf('retransmission').message).toMatch(/did you mean "tcp.analysis.retransmission"/);
  });
});
