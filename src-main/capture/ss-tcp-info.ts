/**
 * Parses what iproute2's `ss -tin` (also `-o`, `-e`, `-m`, `-H`, with or without a state filter)
 * prints about TCP sockets: the Linux kernel's own view of a connection — cwnd, ssthresh, RTT,
 * bytes ACKed, retransmissions, delivery rate — which tcplab draws beside its own stack's true cwnd.
 *
 * The format (iproute2 misc/ss.c, `tcp_stats_print`, checked against iproute2 6.1 output captured on
 * this machine, tests/fixtures/ss/): one line `STATE RECV-Q SEND-Q LOCAL PEER [timer:(…)] [uid:… ino:…]`
 * (the state column is absent when a state filter is given, the header absent with -H), then an
 * indented line of space-separated tokens: bare flags (`ts sack ecn ecnseen fastopen`, the
 * congestion algorithm's name, `app_limited`, `bidir`), `key:value` pairs, three `key value` pairs
 * (`send 78138280bps`, `pacing_rate 4410830504bps[/…bps]`, `delivery_rate …bps`) and parenthesised
 * groups (`bbr:(bw:…,mrtt:…)`, `dctcp:(…)`, `skmem:(…)`, `timer:(on,200ms,0)`). Fields whose value
 * is zero are not printed at all, so every field is optional. Tokens this parser does not know are
 * kept as text in `extra`, so a newer iproute2 never makes a sample fail.
 */

/** Where one socket's sample came from and what the kernel said. Units: bytes, ms, bit/s. */
export interface KernelTcpInfo {
  /** `ESTAB`, `FIN-WAIT-1` …; null when ss was given a state filter (no state column). */
  state: string | null;
  recvQ: number;
  sendQ: number;
  /** `192.0.2.1:5001` (IPv4-mapped IPv6 addresses are shown as IPv4; IPv6 in brackets). */
  local: string;
  peer: string;
  /** Congestion-control module (`cubic`, `reno`, `bbr` …), null if not printed. */
  congestion: string | null;
  /** Negotiated options (printed only with -o): timestamps, SACK, ECN, ECN seen, TFO. */
  options: { ts: boolean; sack: boolean; ecn: boolean; ecnseen: boolean; fastopen: boolean };
  wscale: { snd: number; rcv: number } | null;
  rtoMs: number | null;
  backoff: number;
  rttMs: number | null;
  rttVarMs: number | null;
  atoMs: number | null;
  qack: number | null;
  mss: number | null;
  pmtu: number | null;
  rcvMss: number | null;
  advMss: number | null;
  /** Congestion window in segments (tcpi_snd_cwnd). */
  cwnd: number | null;
  /** Slow-start threshold in segments; null while "infinite" (ss omits it). */
  ssthresh: number | null;
  bytesSent: number;
  bytesRetrans: number;
  bytesAcked: number;
  bytesReceived: number;
  segsOut: number;
  segsIn: number;
  dataSegsOut: number;
  dataSegsIn: number;
  /** cwnd · mss · 8 / rtt as ss computes it. */
  sendBps: number | null;
  pacingRateBps: number | null;
  pacingRateMaxBps: number | null;
  deliveryRateBps: number | null;
  delivered: number;
  deliveredCe: number;
  /** The delivery-rate sample was application-limited. */
  appLimited: boolean;
  lastSendMs: number | null;
  lastRecvMs: number | null;
  lastAckMs: number | null;
  busyMs: number | null;
  rwndLimitedMs: number | null;
  sndbufLimitedMs: number | null;
  unacked: number;
  /** Segments retransmitted and not yet ACKed / retransmissions in total (tcpi_retrans/total_retrans). */
  retrans: number;
  retransTotal: number;
  lost: number;
  sacked: number;
  dsackDups: number;
  fackets: number;
  /** Reordering degree (3 when ss omits it). */
  reordering: number;
  reordSeen: number;
  rcvRttMs: number | null;
  rcvSpace: number | null;
  rcvSsthresh: number | null;
  notSent: number;
  minRttMs: number | null;
  sndWnd: number | null;
  rcvWnd: number | null;
  rcvOooPack: number;
  /** `timer:(on,200ms,0)` (with -o). */
  timer: { name: string; expiresMs: number; retrans: number } | null;
  bbr: { bwBps: number; minRttMs: number; pacingGain: number | null; cwndGain: number | null } | null;
  dctcp: { ceState: number; alpha: number; abEcn: number; abTot: number } | 'fallback' | null;
  /** Tokens this parser does not know, verbatim (`key` → value, or '' for a bare word). */
  extra: Record<string, string>;
}

/** A line ss could not have printed, with where it went wrong. */
export class SsParseError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(`ss output line ${line}: ${message}`);
    this.name = 'SsParseError';
  }
}

const STATES = new Set(['ESTAB', 'SYN-SENT', 'SYN-RECV', 'FIN-WAIT-1', 'FIN-WAIT-2', 'TIME-WAIT', 'UNCONN', 'CLOSE-WAIT', 'LAST-ACK', 'LISTEN', 'CLOSING', 'UNKNOWN']);
const OPTION_FLAGS = new Set(['ts', 'sack', 'ecn', 'ecnseen', 'fastopen']);
/** Congestion-control modules in mainline Linux (the bare word ss prints). */
const CONGESTION_NAMES = new Set(['reno', 'cubic', 'bbr', 'bbr2', 'bbr3', 'vegas', 'westwood', 'htcp', 'hstcp', 'hybla', 'illinois', 'scalable', 'lp', 'veno', 'yeah', 'bic', 'cdg', 'dctcp', 'nv', 'highspeed']);

function emptyInfo(): KernelTcpInfo {
  return {
    state: null,
    recvQ: 0,
    sendQ: 0,
    local: '',
    peer: '',
    congestion: null,
    options: { ts: false, sack: false, ecn: false, ecnseen: false, fastopen: false },
    wscale: null,
    rtoMs: null,
    backoff: 0,
    rttMs: null,
    rttVarMs: null,
    atoMs: null,
    qack: null,
    mss: null,
    pmtu: null,
    rcvMss: null,
    advMss: null,
    cwnd: null,
    ssthresh: null,
    bytesSent: 0,
    bytesRetrans: 0,
    bytesAcked: 0,
    bytesReceived: 0,
    segsOut: 0,
    segsIn: 0,
    dataSegsOut: 0,
    dataSegsIn: 0,
    sendBps: null,
    pacingRateBps: null,
    pacingRateMaxBps: null,
    deliveryRateBps: null,
    delivered: 0,
    deliveredCe: 0,
    appLimited: false,
    lastSendMs: null,
    lastRecvMs: null,
    lastAckMs: null,
    busyMs: null,
    rwndLimitedMs: null,
    sndbufLimitedMs: null,
    unacked: 0,
    retrans: 0,
    retransTotal: 0,
    lost: 0,
    sacked: 0,
    dsackDups: 0,
    fackets: 0,
    reordering: 3,
    reordSeen: 0,
    rcvRttMs: null,
    rcvSpace: null,
    rcvSsthresh: null,
    notSent: 0,
    minRttMs: null,
    sndWnd: null,
    rcvWnd: null,
    rcvOooPack: 0,
    timer: null,
    bbr: null,
    dctcp: null,
    extra: {},
  };
}

/** `78138280bps`, `1.2Mbps`, `4.4Gbps` (ss -h style prefixes too) → bit/s. */
export function parseBitRate(text: string): number | null {
  const m = /^(\d+(?:\.\d+)?)([kKMGT]?)bps$/.exec(text);
  if (!m) return null;
  const scale = { '': 1, k: 1e3, K: 1e3, M: 1e6, G: 1e9, T: 1e12 }[m[2] as '' | 'k' | 'K' | 'M' | 'G' | 'T'];
  return Number(m[1]) * scale;
}

/** ss's timer text (print_ms_timer): `200ms`, `1.500ms` (1.5 s), `12sec`, `2min`, `1min30sec` → ms. */
export function parseTimerText(text: string): number | null {
  const m = /^(?:(\d+)min)?(?:(\d+)(?:(sec)|\.))?(?:(\d{3})ms)?$/.exec(text);
  if (!m || text === '') return null;
  const minutes = Number(m[1] ?? 0);
  const secs = Number(m[2] ?? 0);
  const ms = Number(m[4] ?? 0);
  return minutes * 60_000 + secs * 1000 + ms;
}

/** `192.0.2.1:5001`, `[::ffff:192.0.2.1]:80`, `[2001:db8::1]:22`, `192.0.2.1%eth0:22`, `*:*`. */
function normaliseEndpoint(text: string): string {
  const v6 = /^\[(?:::ffff:)?([^\]]+)\](?:%[^:]+)?:(.+)$/.exec(text);
  if (v6) return /^\d+\.\d+\.\d+\.\d+$/.test(v6[1]!) ? `${v6[1]}:${v6[2]}` : `[${v6[1]}]:${v6[2]}`;
  return text.replace(/%[^:]+:/, ':');
}

const num = (v: string): number | null => {
  if (!/^-?\d+(?:\.\d+)?(?:e[-+]?\d+)?$/.test(v)) return null;
  return Number(v);
};

/** `key:(a:1,b:2)` or `(on,200ms,0)` → the parts inside the parentheses. */
function groupParts(v: string): string[] | null {
  const m = /^\((.*)\)$/.exec(v);
  return m ? m[1]!.split(',') : null;
}

function applyHeader(info: KernelTcpInfo, tokens: string[], lineNo: number): void {
  let i = 0;
  // Netid column (`tcp`) appears when ss is asked for several socket kinds.
  if (tokens[i] === 'tcp' || tokens[i] === 'mptcp') i++;
  if (STATES.has(tokens[i]!)) info.state = tokens[i++]!;
  const rq = num(tokens[i] ?? '');
  const sq = num(tokens[i + 1] ?? '');
  if (rq === null || sq === null) throw new SsParseError(`expected Recv-Q and Send-Q numbers, found '${tokens.slice(i, i + 2).join(' ')}'`, lineNo);
  info.recvQ = rq;
  info.sendQ = sq;
  const local = tokens[i + 2];
  const peer = tokens[i + 3];
  if (!local || !peer || !local.includes(':') || !peer.includes(':')) throw new SsParseError(`expected local and peer ADDR:PORT, found '${tokens.slice(i + 2, i + 4).join(' ')}'`, lineNo);
  info.local = normaliseEndpoint(local);
  info.peer = normaliseEndpoint(peer);
  // The rest of the first line: timer:(…) (-o), uid:/ino:/sk: (-e); info tokens if not wrapped.
  applyTokens(info, tokens.slice(i + 4));
}

function applyTokens(info: KernelTcpInfo, tokens: string[]): void {
  for (let i = 0; i < tokens.length; i++) {
    const tok = tokens[i]!;
    // Space-separated rate pairs.
    if (tok === 'send' || tok === 'pacing_rate' || tok === 'delivery_rate') {
      const value = tokens[i + 1] ?? '';
      i++;
      if (tok === 'pacing_rate') {
        const [now, max] = value.split('/');
        info.pacingRateBps = parseBitRate(now ?? '');
        if (max !== undefined) info.pacingRateMaxBps = parseBitRate(max);
      } else if (tok === 'send') info.sendBps = parseBitRate(value);
      else info.deliveryRateBps = parseBitRate(value);
      continue;
    }
    const colon = tok.indexOf(':');
    if (colon < 0) {
      if (OPTION_FLAGS.has(tok)) info.options[tok as keyof KernelTcpInfo['options']] = true;
      else if (tok === 'app_limited') info.appLimited = true;
      else if (tok === 'bidir') info.extra['bidir'] = '';
      else if (info.congestion === null && (CONGESTION_NAMES.has(tok) || /^[a-z][a-z0-9_]*$/.test(tok)) && !tok.startsWith('tcp-ulp-')) info.congestion = tok;
      else info.extra[tok] = '';
      continue;
    }
    const key = tok.slice(0, colon);
    const v = tok.slice(colon + 1);
    const n = num(v);
    switch (key) {
      case 'wscale': {
        const [s, r] = v.split(',').map(Number);
        if (Number.isFinite(s) && Number.isFinite(r)) info.wscale = { snd: s!, rcv: r! };
        else info.extra[key] = v;
        break;
      }
      case 'rtt': {
        const [r, var_] = v.split('/').map(Number);
        info.rttMs = Number.isFinite(r) ? r! : null;
        info.rttVarMs = Number.isFinite(var_) ? var_! : null;
        break;
      }
      case 'rwnd_limited':
      case 'sndbuf_limited':
      case 'busy': {
        const m = /^(\d+)ms/.exec(v);
        const ms = m ? Number(m[1]) : null;
        if (key === 'busy') info.busyMs = ms;
        else if (key === 'rwnd_limited') info.rwndLimitedMs = ms;
        else info.sndbufLimitedMs = ms;
        break;
      }
      case 'retrans': {
        const [now, total] = v.split('/').map(Number);
        info.retrans = Number.isFinite(now) ? now! : 0;
        info.retransTotal = Number.isFinite(total) ? total! : 0;
        break;
      }
      case 'timer': {
        const parts = groupParts(v);
        if (parts && parts.length === 3) info.timer = { name: parts[0]!, expiresMs: parseTimerText(parts[1]!) ?? 0, retrans: Number(parts[2]) || 0 };
        else info.extra[key] = v;
        break;
      }
      case 'bbr': {
        const parts = groupParts(v);
        if (!parts) {
          info.extra[key] = v;
          break;
        }
        const kv = Object.fromEntries(parts.map((p) => [p.slice(0, p.indexOf(':')), p.slice(p.indexOf(':') + 1)]));
        info.bbr = {
          bwBps: parseBitRate(kv['bw'] ?? '') ?? 0,
          minRttMs: Number(kv['mrtt'] ?? 0),
          pacingGain: kv['pacing_gain'] !== undefined ? Number(kv['pacing_gain']) : null,
          cwndGain: kv['cwnd_gain'] !== undefined ? Number(kv['cwnd_gain']) : null,
        };
        break;
      }
      case 'dctcp': {
        if (v === 'fallback_mode') {
          info.dctcp = 'fallback';
          break;
        }
        const parts = groupParts(v);
        const kv = Object.fromEntries((parts ?? []).map((p) => [p.slice(0, p.indexOf(':')), Number(p.slice(p.indexOf(':') + 1))]));
        info.dctcp = { ceState: kv['ce_state'] ?? 0, alpha: kv['alpha'] ?? 0, abEcn: kv['ab_ecn'] ?? 0, abTot: kv['ab_tot'] ?? 0 };
        break;
      }
      default: {
        const field = NUMERIC_FIELDS[key];
        if (field && n !== null) (info[field] as number | null) = n;
        else info.extra[key] = v;
      }
    }
  }
}

type NumericField = {
  [K in keyof KernelTcpInfo]: KernelTcpInfo[K] extends number | null ? K : never;
}[keyof KernelTcpInfo];

/** `key:NUMBER` tokens and the field they fill (ss.c tcp_stats_print, newest iproute2 names). */
const NUMERIC_FIELDS: Record<string, NumericField> = {
  rto: 'rtoMs',
  backoff: 'backoff',
  ato: 'atoMs',
  qack: 'qack',
  mss: 'mss',
  pmtu: 'pmtu',
  rcvmss: 'rcvMss',
  advmss: 'advMss',
  cwnd: 'cwnd',
  ssthresh: 'ssthresh',
  bytes_sent: 'bytesSent',
  bytes_retrans: 'bytesRetrans',
  bytes_acked: 'bytesAcked',
  bytes_received: 'bytesReceived',
  segs_out: 'segsOut',
  segs_in: 'segsIn',
  data_segs_out: 'dataSegsOut',
  data_segs_in: 'dataSegsIn',
  lastsnd: 'lastSendMs',
  lastrcv: 'lastRecvMs',
  lastack: 'lastAckMs',
  delivered: 'delivered',
  delivered_ce: 'deliveredCe',
  unacked: 'unacked',
  lost: 'lost',
  sacked: 'sacked',
  dsack_dups: 'dsackDups',
  fackets: 'fackets',
  reordering: 'reordering',
  reord_seen: 'reordSeen',
  rcv_rtt: 'rcvRttMs',
  rcv_space: 'rcvSpace',
  rcv_ssthresh: 'rcvSsthresh',
  notsent: 'notSent',
  minrtt: 'minRttMs',
  snd_wnd: 'sndWnd',
  rcv_wnd: 'rcvWnd',
  rcv_ooopack: 'rcvOooPack',
};

/**
 * Parses the whole output of one `ss -tin…` run into one record per socket. A header line
 * (`State Recv-Q …`, printed without -H) is skipped. Throws SsParseError for text that is not ss
 * output (a first line that is not STATE RQ SQ LOCAL PEER); unknown info tokens never throw.
 */
export function parseSsTcpInfo(text: string): KernelTcpInfo[] {
  const out: KernelTcpInfo[] = [];
  let current: KernelTcpInfo | null = null;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/\r$/, '');
    if (line.trim() === '') continue;
    const tokens = line.trim().split(/\s+/);
    const continuation = /^\s/.test(line);
    if (!continuation) {
      if (/^(Netid\s+)?(State\s+)?Recv-Q\s+Send-Q/.test(line)) continue;
      current = emptyInfo();
      applyHeader(current, tokens, i + 1);
      out.push(current);
    } else {
      if (!current) throw new SsParseError('socket details before any socket line', i + 1);
      applyTokens(current, tokens);
    }
  }
  return out;
}
