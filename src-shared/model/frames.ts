/**
 * The small, plain DTOs that reach the renderer in batches. One frame is decoded once in main;
 * the renderer gets a summary per frame and asks for one frame's full decode on demand.
 */
export interface FrameSummary {
  /** Frame number, 1-based, as tcpdump -# and Wireshark number them. */
  no: number;
  /** Seconds since the first frame of the session. */
  t: number;
  /** Absolute capture time in microseconds since the Unix epoch (or the lab clock's origin). */
  tsUs: number;
  src: string;
  dst: string;
  /** Highest protocol recognised: 'TCP', 'UDP', 'ICMP', 'ARP', 'IPv4', 'DNS', 'HTTP', 'Ethernet'… */
  protocol: string;
  /** Original (wire) length in bytes. */
  length: number;
  /** One-line description in tcpdump's style. */
  info: string;
  /** TCP conversation (tcp.stream) index, or -1. */
  stream: number;
  /** Analysis flags for colouring, e.g. ['retransmission', 'zero_window']; empty when none. */
  flags: string[];
}

export interface DetailNode {
  label: string;
  value?: string;
  /** Byte range in the frame, [start, end). */
  start: number;
  end: number;
  children?: DetailNode[];
  error?: boolean;
}

export interface FrameDetail {
  no: number;
  bytes: Uint8Array;
  tree: DetailNode[];
}

export type SourceKind = 'demo' | 'file' | 'lab' | 'tap' | 'interface';

export type SessionState = 'starting' | 'running' | 'paused' | 'done' | 'error' | 'closed';

export interface SessionInfo {
  id: number;
  kind: SourceKind;
  /** What the user sees in the sidebar, e.g. 'demo: handshake, transfer, close' or a file name. */
  label: string;
  state: SessionState;
  frameCount: number;
  /** Events the bounded queues had to drop for this session (shown, never silent). */
  dropped: number;
  error?: string;
  /** How far a file source has read: bytes done of total (absent for live sources). */
  progress?: { done: number; total: number };
  /** A live capture's counters from libpcap (pcap_stats): what the kernel had to drop is shown. */
  captureStats?: { received: number; dropped: number; ifDropped: number };
}

export interface SessionStatus extends SessionInfo {
  /** Frames per second over the last second. */
  rate: number;
}
