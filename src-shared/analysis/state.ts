/**
 * Inferred RFC 9293 connection state of each endpoint, from the segments a capture shows.
 *
 * The capture point sees a segment once; the inference assumes it was delivered (a capture next
 * to both hosts is the common case) and applies two transitions per segment: the sender's (what
 * sending this segment says about it) and the receiver's (what receiving it does, RFC 9293
 * §3.10.7). Every state is an inference, never an observation: each carries the rule that made it.
 */
import {
  ST_CLOSED,
  ST_CLOSE_WAIT,
  ST_CLOSING,
  ST_ESTABLISHED,
  ST_FIN_WAIT_1,
  ST_FIN_WAIT_2,
  ST_LAST_ACK,
  ST_LISTEN,
  ST_SYN_RECEIVED,
  ST_SYN_SENT,
  ST_TIME_WAIT,
} from './types';

/** Rule texts, indexed by the rule id stored per segment. Index 0 = unchanged. */
export const STATE_RULES = [
  'unchanged',
  'first segment seen is not a SYN: the connection was already open (mid-stream pickup)',
  'sent SYN without ACK (active open, RFC 9293 §3.5)',
  'peer of an active open is assumed to be listening (RFC 9293 §3.5)',
  'received SYN while LISTEN → SYN-RECEIVED (RFC 9293 §3.10.7.2)',
  'received SYN while SYN-SENT → SYN-RECEIVED (simultaneous open, RFC 9293 §3.5 figure 7)',
  'sent SYN,ACK (passive open answers, RFC 9293 §3.5)',
  'received SYN,ACK acknowledging our SYN while SYN-SENT → ESTABLISHED (RFC 9293 §3.10.7.3)',
  'received ACK of our SYN while SYN-RECEIVED → ESTABLISHED (RFC 9293 §3.10.7.4)',
  'sent FIN while ESTABLISHED/SYN-RECEIVED → FIN-WAIT-1 (RFC 9293 §3.6, CLOSE call)',
  'sent FIN while CLOSE-WAIT → LAST-ACK (RFC 9293 §3.6)',
  'received FIN while ESTABLISHED → CLOSE-WAIT (RFC 9293 §3.10.7.4, eighth step)',
  'received FIN while FIN-WAIT-1, our FIN not yet ACKed → CLOSING (simultaneous close, RFC 9293 §3.6 figure 13)',
  'received FIN acknowledging our FIN while FIN-WAIT-1 → TIME-WAIT (RFC 9293 §3.10.7.4)',
  'received FIN while FIN-WAIT-2 → TIME-WAIT (RFC 9293 §3.10.7.4)',
  'received ACK of our FIN while FIN-WAIT-1 → FIN-WAIT-2 (RFC 9293 §3.10.7.4)',
  'received ACK of our FIN while CLOSING → TIME-WAIT (RFC 9293 §3.10.7.4)',
  'received ACK of our FIN while LAST-ACK → CLOSED (RFC 9293 §3.10.7.4)',
  'sent RST → CLOSED (RFC 9293 §3.10.7, abort)',
  'received RST → CLOSED (RFC 9293 §3.10.7.4, first step; in-window assumed)',
  'received RST while SYN-RECEIVED from a passive open → LISTEN (RFC 9293 §3.10.7.4)',
  'received RST answering our SYN while SYN-SENT → CLOSED (connection refused, RFC 9293 §3.10.7.3)',
  'sent data or ACK after the peer opened: already ESTABLISHED on this side',
  'sent FIN that does not acknowledge the peer’s FIN: both sides closed at once → CLOSING (simultaneous close, RFC 9293 §3.6 figure 13)',
] as const;

export const R_UNCHANGED = 0;
const R_MIDSTREAM = 1;
const R_SENT_SYN = 2;
const R_ASSUME_LISTEN = 3;
const R_RCV_SYN_LISTEN = 4;
const R_RCV_SYN_SIMOPEN = 5;
const R_SENT_SYNACK = 6;
const R_RCV_SYNACK = 7;
const R_RCV_ACK_OF_SYN = 8;
const R_SENT_FIN_EST = 9;
const R_SENT_FIN_CW = 10;
const R_RCV_FIN_EST = 11;
const R_RCV_FIN_FW1 = 12;
const R_RCV_FIN_FW1_ACKED = 13;
const R_RCV_FIN_FW2 = 14;
const R_RCV_ACK_FIN_FW1 = 15;
const R_RCV_ACK_FIN_CLOSING = 16;
const R_RCV_ACK_FIN_LASTACK = 17;
const R_SENT_RST = 18;
const R_RCV_RST = 19;
const R_RCV_RST_SYNRCVD = 20;
const R_RCV_RST_SYNSENT = 21;
const R_SENT_ACK_EST = 22;
const R_SENT_FIN_SIMCLOSE = 23;

const TH_FIN = 0x01;
const TH_SYN = 0x02;
const TH_RST = 0x04;
const TH_ACK = 0x10;

/** The inference for one conversation. Sequence numbers here are unwrapped relative values. */
export class StateTracker {
  /** [A, B] */
  state = [ST_CLOSED, ST_CLOSED];
  rule = [R_UNCHANGED, R_UNCHANGED];
  private started = false;
  private passive = [false, false];
  /** Relative sequence of each side's FIN, -1 if none sent. */
  private finSeq = [-1, -1];
  /** Relative sequence number after each side's SYN (its ISN + 1), -1 if no SYN seen. */
  private synEnd = [-1, -1];

  private set(side: number, st: number, rule: number): void {
    this.state[side] = st;
    this.rule[side] = rule;
  }

  /**
   * Applies one segment sent by `dir` (0 = A, 1 = B). `seqRel`/`ackRel` are unwrapped relative
   * numbers in the sender's and the receiver's sequence spaces respectively; `len` the payload.
   */
  apply(dir: number, flags: number, seqRel: number, ackRel: number, len: number): void {
    const s = dir;
    const r = 1 - dir;
    this.rule[0] = R_UNCHANGED;
    this.rule[1] = R_UNCHANGED;
    const syn = (flags & TH_SYN) !== 0;
    const ackf = (flags & TH_ACK) !== 0;
    const fin = (flags & TH_FIN) !== 0;
    const rst = (flags & TH_RST) !== 0;

    if (!this.started) {
      this.started = true;
      if (syn && !ackf) {
        this.set(r, ST_LISTEN, R_ASSUME_LISTEN);
        this.passive[r] = true;
      } else if (!syn) {
        this.set(s, ST_ESTABLISHED, R_MIDSTREAM);
        this.set(r, ST_ESTABLISHED, R_MIDSTREAM);
      }
    }

    // --- the sender: what sending this segment says ---
    if (rst) {
      this.set(s, ST_CLOSED, R_SENT_RST);
    } else if (syn && !ackf) {
      this.synEnd[s] = seqRel + 1;
      if (this.state[s] !== ST_SYN_SENT || this.rule[s] !== R_UNCHANGED) this.set(s, ST_SYN_SENT, R_SENT_SYN);
    } else if (syn && ackf) {
      this.synEnd[s] = seqRel + 1;
      if (this.state[s] === ST_LISTEN || this.state[s] === ST_CLOSED) this.set(s, ST_SYN_RECEIVED, R_SENT_SYNACK);
    } else if (ackf && this.state[s] === ST_SYN_SENT && this.synEnd[r] >= 0) {
      // The ACK of the handshake: this side has received the SYN,ACK (maybe not captured).
      this.set(s, ST_ESTABLISHED, R_SENT_ACK_EST);
    }
    if (fin && !rst) {
      this.finSeq[s] = seqRel + len;
      const st = this.state[s];
      if (st === ST_ESTABLISHED || st === ST_SYN_RECEIVED) this.set(s, ST_FIN_WAIT_1, R_SENT_FIN_EST);
      else if (st === ST_CLOSE_WAIT) {
        // If this FIN does not acknowledge the peer's FIN, it was sent before that FIN arrived.
        if (ackf && this.finSeq[r]! >= 0 && ackRel < this.finSeq[r]! + 1) this.set(s, ST_CLOSING, R_SENT_FIN_SIMCLOSE);
        else this.set(s, ST_LAST_ACK, R_SENT_FIN_CW);
      }
    }

    // --- the receiver: RFC 9293 §3.10.7 segment arrives ---
    const rst0 = this.state[r];
    if (rst) {
      if (rst0 === ST_SYN_SENT) this.set(r, ST_CLOSED, R_RCV_RST_SYNSENT);
      else if (rst0 === ST_SYN_RECEIVED && this.passive[r]) this.set(r, ST_LISTEN, R_RCV_RST_SYNRCVD);
      else if (rst0 !== ST_CLOSED && rst0 !== ST_LISTEN && rst0 !== ST_TIME_WAIT) this.set(r, ST_CLOSED, R_RCV_RST);
      return;
    }
    if (syn && !ackf) {
      if (rst0 === ST_LISTEN || rst0 === ST_CLOSED) {
        this.set(r, ST_SYN_RECEIVED, R_RCV_SYN_LISTEN);
        this.passive[r] = true;
      } else if (rst0 === ST_SYN_SENT) this.set(r, ST_SYN_RECEIVED, R_RCV_SYN_SIMOPEN);
      return;
    }
    const acksOurSyn = ackf && this.synEnd[r] >= 0 && ackRel >= this.synEnd[r];
    if (syn && ackf) {
      if (rst0 === ST_SYN_SENT && acksOurSyn) this.set(r, ST_ESTABLISHED, R_RCV_SYNACK);
      else if (rst0 === ST_SYN_RECEIVED && acksOurSyn) this.set(r, ST_ESTABLISHED, R_RCV_ACK_OF_SYN);
      return;
    }
    if (ackf && rst0 === ST_SYN_RECEIVED && acksOurSyn) this.set(r, ST_ESTABLISHED, R_RCV_ACK_OF_SYN);
    const finAcked = ackf && this.finSeq[r] >= 0 && ackRel >= this.finSeq[r] + 1;
    if (finAcked) {
      const st = this.state[r];
      if (st === ST_FIN_WAIT_1 && !fin) this.set(r, ST_FIN_WAIT_2, R_RCV_ACK_FIN_FW1);
      else if (st === ST_CLOSING) this.set(r, ST_TIME_WAIT, R_RCV_ACK_FIN_CLOSING);
      else if (st === ST_LAST_ACK) this.set(r, ST_CLOSED, R_RCV_ACK_FIN_LASTACK);
    }
    if (fin) {
      const st = this.state[r];
      if (st === ST_ESTABLISHED || st === ST_SYN_RECEIVED) this.set(r, ST_CLOSE_WAIT, R_RCV_FIN_EST);
      else if (st === ST_FIN_WAIT_1) {
        if (finAcked) this.set(r, ST_TIME_WAIT, R_RCV_FIN_FW1_ACKED);
        else this.set(r, ST_CLOSING, R_RCV_FIN_FW1);
      } else if (st === ST_FIN_WAIT_2) this.set(r, ST_TIME_WAIT, R_RCV_FIN_FW2);
    }
  }
}

export { ST_CLOSED };
