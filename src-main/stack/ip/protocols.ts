/**
 * The seam between the IP layer and the transport protocols (UDP, TCP, ICMP users).
 * Agreed in /tmp/team/stack-seams.md; keep these shapes stable — TCP codes against them.
 */

/** A reassembled, checked datagram for a transport protocol. */
export interface Ipv4Datagram {
  src: number; // u32 addresses
  dst: number;
  protocol: number;
  ttl: number;
  dscp: number;
  ecn: number;
  identification: number;
  payload: Uint8Array; // transport header + data
  causeId: number; // probe event id of its arrival (ladder arrows)
  ifname: string;
  /**
   * The link vouched for the transport checksum (checksum offload, Linux's CHECKSUM_UNNECESSARY):
   * the protocol need not verify it. Never set for reassembled or locally looped datagrams.
   */
  checksumVerified?: boolean;
}

/** An ICMP error that quotes one of our datagrams, routed to the protocol that sent it. */
export interface IcmpErrorReport {
  type: number;
  code: number;
  nextHopMtu?: number;
  errno: 'ECONNREFUSED' | 'EHOSTUNREACH' | 'ENETUNREACH' | 'EMSGSIZE' | 'ETIMEDOUT' | 'EPROTO';
  quotedSrc: number;
  quotedDst: number;
  quotedProtocol: number;
  quotedTransport: Uint8Array; // first >= 8 bytes of the quoted transport header
  causeId: number;
}

export interface IpProtocolHandler {
  receive(datagram: Ipv4Datagram): void;
  icmpError?(report: IcmpErrorReport): void;
  /** true if a port is open; lets the IP layer send ICMP port unreachable for UDP */
}

export interface Ipv4SendRequest {
  src?: number;
  dst: number;
  protocol: number;
  /**
   * The transport bytes, or a writer that serialises them straight into the outgoing frame
   * (one copy of the data per segment instead of three; the IP layer materialises it into its own
   * array only for loopback and fragmentation).
   */
  payload: Uint8Array | PayloadWriter;
  ttl?: number;
  dontFragment?: boolean;
  dscp?: number;
  ecn?: number;
  causeId?: number;
}

/** Transport bytes written on demand into a buffer the IP layer owns. */
export interface PayloadWriter {
  readonly length: number;
  /**
   * Writes exactly `length` bytes at `buf[off]`. `checksumOffload`: the frame leaves through a
   * device that finishes the transport checksum (Device.checksumOffload), so the writer may store
   * only the pseudo-header sum there (CHECKSUM_PARTIAL). Without it the checksum must be complete.
   */
  writeInto(buf: Uint8Array, off: number, checksumOffload?: boolean): void;
}

/** The bytes of a send request's payload (a new array when it is a writer). */
export function payloadBytes(payload: Uint8Array | PayloadWriter): Uint8Array {
  if (payload instanceof Uint8Array) return payload;
  const bytes = new Uint8Array(payload.length);
  payload.writeInto(bytes, 0);
  return bytes;
}

export type Ipv4SendResult =
  | { ok: true }
  | { ok: false; errno: 'EHOSTUNREACH' | 'ENETUNREACH' | 'EMSGSIZE' | 'ENOBUFS' };
