/**
 * ARP (RFC 826) with a neighbour cache in the spirit of RFC 1122 §2.3.2 and Linux:
 *
 * - incomplete: a request is out; packets for the address wait in a bounded queue (oldest
 *   dropped first, like Linux's unres_qlen_bytes); the request is retried every `retransMs` up to
 *   `maxRequests` times (Linux mcast_solicit = 3, retrans_time = 1 s), then the queued packets are
 *   dropped ('arp.drop.unresolved') and their senders hear EHOSTUNREACH.
 * - reachable: a reply arrived or the peer asked for us (RFC 826's merge rule: the sender's
 *   mapping is valid); after `reachableMs` (30 s, Linux base_reachable_time) it becomes stale.
 * - stale: still used, but the first use sends a unicast request (a probe, RFC 1122 §2.3.2.1
 *   "unicast poll") at most once per `retransMs`; a reply makes it reachable again; an entry
 *   unused and unconfirmed for `staleMs` (60 s, Linux gc_stale_time) is removed.
 *
 * Replies: a request for one of our addresses is answered (RFC 826). Gratuitous ARP: when an
 * interface comes up we announce ourselves (sender = target = our address, RFC 5227 §2.3).
 */
import { ARP_LENGTH, ARP_REPLY, ARP_REQUEST, ArpView, emitArpInto } from '@shared/wire/arp';
import { ETHERTYPE_ARP, ETHERNET_HEADER_LENGTH, emitEthernetInto } from '@shared/wire/ethernet';
import { MAC_BROADCAST, MAC_ZERO, ipv4ToString, macToBytes, type MacAddress } from '@shared/wire/address';
import type { TimerHandle } from '@shared/sim/clock';
import type { NetInterface } from './interface';
import type { Stack } from './stack';
import type { UnresolvedNotice } from './ip/ipv4';

export type ArpState = 'incomplete' | 'reachable' | 'stale';

export interface ArpOptions {
  reachableMs?: number;
  staleMs?: number;
  retransMs?: number;
  maxRequests?: number;
  /** Bytes of frames queued per unresolved address (Linux unres_qlen_bytes = 212992). */
  queueBytes?: number;
}

interface QueuedFrame {
  frame: Uint8Array;
  causeId: number | undefined;
  unresolved?: UnresolvedNotice;
}

interface ArpEntry {
  ip: number;
  ifc: NetInterface;
  mac: MacAddress | null;
  /** `mac` as bytes, written into each frame's destination. */
  macBytes: Uint8Array | null;
  state: ArpState;
  /** Time of the last confirmation (reply / request from the peer). */
  confirmedAt: number;
  lastProbeAt: number;
  requestsSent: number;
  queue: QueuedFrame[];
  queuedBytes: number;
  timer: TimerHandle | null;
}

export interface ArpEntrySnapshot {
  ip: string;
  mac: MacAddress | null;
  state: ArpState;
  ifname: string;
  ageMs: number;
  queued: number;
}

export class ArpLayer {
  private readonly cache = new Map<number, ArpEntry>();
  readonly reachableMs: number;
  readonly staleMs: number;
  readonly retransMs: number;
  readonly maxRequests: number;
  readonly queueLimitBytes: number;

  constructor(
    private readonly stack: Stack,
    opts: ArpOptions = {},
  ) {
    this.reachableMs = opts.reachableMs ?? 30_000;
    this.staleMs = opts.staleMs ?? 60_000;
    this.retransMs = opts.retransMs ?? 1000;
    this.maxRequests = opts.maxRequests ?? 3;
    this.queueLimitBytes = opts.queueBytes ?? 212_992;
  }

  /** Handles an ARP packet (Ethernet payload at `offset`). */
  receive(ifc: NetInterface, frame: Uint8Array, offset: number, causeId: number | undefined): void {
    const s = this.stack;
    const view = new ArpView(frame, offset);
    if (view.check()) {
      s.drop('arp', 'malformed', causeId);
      return;
    }
    const op = view.op;
    const senderIp = view.senderIp;
    const senderMac = view.senderMac;
    const targetIp = view.targetIp;
    s.counters.inc(op === ARP_REQUEST ? 'arp.rx.requests' : op === ARP_REPLY ? 'arp.rx.replies' : 'arp.rx.other');
    const id = s.probes.publish({
      t: s.clock.now(),
      layer: 'arp',
      kind: op === ARP_REQUEST ? 'request-in' : 'reply-in',
      subject: ifc.name,
      causeId,
      data: { senderIp: ipv4ToString(senderIp), senderMac, targetIp: ipv4ToString(targetIp) },
    });
    if (op !== ARP_REQUEST && op !== ARP_REPLY) {
      s.drop('arp', 'bad-opcode', id, { op });
      return;
    }
    if (senderMac === ifc.mac) {
      s.drop('arp', 'own-frame', id);
      return;
    }
    if (senderIp === ifc.addr) {
      // Someone else claims our address (RFC 5227 §2.4 conflict); we keep it but say so.
      s.drop('arp', 'address-conflict', id, { senderMac });
      return;
    }
    if (senderMac === MAC_BROADCAST || (parseInt(senderMac.slice(0, 2), 16) & 1) !== 0) {
      s.drop('arp', 'bad-sender-mac', id, { senderMac });
      return;
    }
    const forUs = targetIp === ifc.addr;
    // RFC 826 merge: update an existing entry; add one only if we are the target.
    const existing = this.cache.get(senderIp);
    if (senderIp !== 0 && (existing || forUs)) this.learn(ifc, senderIp, senderMac, id);
    if (op === ARP_REQUEST) {
      if (!forUs) {
        s.counters.inc('arp.rx.not-for-us');
        return;
      }
      this.sendArp(ifc, ARP_REPLY, senderMac, senderMac, senderIp, id);
    }
  }

  private learn(ifc: NetInterface, ip: number, mac: MacAddress, causeId: number): void {
    const s = this.stack;
    const now = s.clock.now();
    let e = this.cache.get(ip);
    if (!e) {
      e = { ip, ifc, mac, macBytes: null, state: 'reachable', confirmedAt: now, lastProbeAt: -Infinity, requestsSent: 0, queue: [], queuedBytes: 0, timer: null };
      this.cache.set(ip, e);
    }
    const before = e.state;
    const changed = e.mac !== mac;
    if (changed || !e.macBytes) e.macBytes = macToBytes(mac);
    e.mac = mac;
    e.ifc = ifc;
    e.state = 'reachable';
    e.confirmedAt = now;
    e.requestsSent = 0;
    this.armTimer(e, now + this.reachableMs);
    if (before !== 'reachable' || changed) {
      s.probes.publish({ t: now, layer: 'arp', kind: 'state', subject: ipv4ToString(ip), causeId, data: { from: before, to: 'reachable', mac } });
    }
    if (e.queue.length > 0) {
      const queue = e.queue;
      e.queue = [];
      e.queuedBytes = 0;
      for (const q of queue) {
        q.frame.set(e.macBytes!, 0);
        s.counters.inc('arp.tx.dequeued');
        s.transmit(ifc, q.frame, q.causeId ?? causeId);
      }
    }
  }

  private armTimer(e: ArpEntry, at: number): void {
    const clock = this.stack.clock;
    clock.clearTimer(e.timer);
    e.timer = clock.setTimer(at, () => this.onTimer(e));
  }

  private onTimer(e: ArpEntry): void {
    const s = this.stack;
    e.timer = null;
    if (this.cache.get(e.ip) !== e) return;
    const now = s.clock.now();
    if (e.state === 'incomplete') {
      if (e.requestsSent < this.maxRequests) {
        this.sendArp(e.ifc, ARP_REQUEST, MAC_BROADCAST, MAC_ZERO, e.ip, undefined);
        e.requestsSent++;
        s.counters.inc('arp.tx.retries');
        this.armTimer(e, now + this.retransMs);
        return;
      }
      // No answer: give up (RFC 1122 §2.3.2.2 — flood protection, the queue is dropped).
      this.cache.delete(e.ip);
      const ev = s.probes.publish({ t: now, layer: 'arp', kind: 'state', subject: ipv4ToString(e.ip), data: { from: 'incomplete', to: 'failed' } });
      for (const q of e.queue) {
        s.drop('arp', 'unresolved', q.causeId ?? ev, { ip: ipv4ToString(e.ip) });
        const n = q.unresolved;
        if (n) s.icmp.reportLocalUnreachable(n.src, n.dst, n.protocol, n.payload.subarray(0, 8), n.causeId);
      }
      e.queue = [];
      return;
    }
    if (e.state === 'reachable') {
      e.state = 'stale';
      s.probes.publish({ t: now, layer: 'arp', kind: 'state', subject: ipv4ToString(e.ip), data: { from: 'reachable', to: 'stale' } });
      this.armTimer(e, e.confirmedAt + this.reachableMs + this.staleMs);
      return;
    }
    // stale and not confirmed since: forget it.
    this.cache.delete(e.ip);
    s.counters.inc('arp.cache.expired');
    s.probes.publish({ t: now, layer: 'arp', kind: 'state', subject: ipv4ToString(e.ip), data: { from: 'stale', to: 'removed' } });
  }

  /**
   * Sends `frame` (Ethernet header with src and type already written; dst filled in here) to
   * `nextHop` on `ifc`, resolving its MAC first if needed. If resolution fails, the sender named in
   * `unresolved` hears EHOSTUNREACH.
   */
  output(ifc: NetInterface, nextHop: number, frame: Uint8Array, causeId: number | undefined, unresolved?: UnresolvedNotice): void {
    const s = this.stack;
    const now = s.clock.now();
    let e = this.cache.get(nextHop);
    if (e && e.macBytes !== null) {
      if (e.state === 'stale' && now - e.lastProbeAt >= this.retransMs) {
        e.lastProbeAt = now;
        s.counters.inc('arp.tx.probes');
        this.sendArp(e.ifc, ARP_REQUEST, e.mac!, MAC_ZERO, e.ip, causeId);
      }
      frame.set(e.macBytes, 0);
      s.transmit(ifc, frame, causeId);
      return;
    }
    if (!e) {
      e = { ip: nextHop, ifc, mac: null, macBytes: null, state: 'incomplete', confirmedAt: -Infinity, lastProbeAt: now, requestsSent: 1, queue: [], queuedBytes: 0, timer: null };
      this.cache.set(nextHop, e);
      s.probes.publish({ t: now, layer: 'arp', kind: 'state', subject: ipv4ToString(nextHop), causeId, data: { from: 'none', to: 'incomplete' } });
    }
    // Queue before sending the request: on a zero-delay link the reply may arrive inside sendArp.
    e.queue.push({ frame, causeId, unresolved });
    e.queuedBytes += frame.length;
    s.counters.inc('arp.tx.queued');
    if (e.timer === null) {
      this.armTimer(e, now + this.retransMs);
      this.sendArp(ifc, ARP_REQUEST, MAC_BROADCAST, MAC_ZERO, nextHop, causeId);
    }
    while (e.queuedBytes > this.queueLimitBytes && e.queue.length > 1) {
      const old = e.queue.shift()!;
      e.queuedBytes -= old.frame.length;
      s.drop('arp', 'queue-full', old.causeId, { ip: ipv4ToString(nextHop) });
    }
  }

  /** Gratuitous ARP announcement (RFC 5227 §2.3): a request with sender = target = our address. */
  announce(ifc: NetInterface, causeId?: number): void {
    this.stack.counters.inc('arp.tx.gratuitous');
    this.sendArp(ifc, ARP_REQUEST, MAC_BROADCAST, MAC_ZERO, ifc.addr, causeId);
  }

  private sendArp(ifc: NetInterface, op: number, ethDst: MacAddress, targetMac: MacAddress, targetIp: number, causeId: number | undefined): void {
    const s = this.stack;
    // 42 bytes; the kernel pads to 60 on real Ethernet, a TAP does not need it.
    const frame = new Uint8Array(ETHERNET_HEADER_LENGTH + ARP_LENGTH);
    emitEthernetInto(frame, 0, { dst: ethDst, src: ifc.mac, etherType: ETHERTYPE_ARP });
    emitArpInto(frame, ETHERNET_HEADER_LENGTH, { op, senderMac: ifc.mac, senderIp: ifc.addr, targetMac, targetIp });
    s.counters.inc(op === ARP_REQUEST ? 'arp.tx.requests' : 'arp.tx.replies');
    const id = s.probes.publish({
      t: s.clock.now(),
      layer: 'arp',
      kind: op === ARP_REQUEST ? 'request-out' : 'reply-out',
      subject: ifc.name,
      causeId,
      data: { targetIp: ipv4ToString(targetIp), targetMac, ethDst },
    });
    s.transmit(ifc, frame, id);
  }

  /** The MAC for `ip` if resolved (reachable or stale). */
  lookup(ip: number): MacAddress | null {
    return this.cache.get(ip)?.mac ?? null;
  }

  /** Adds a permanent-looking entry (tests, labs); it still ages like a learned one. */
  addStatic(ifc: NetInterface, ip: number, mac: MacAddress): void {
    this.learn(ifc, ip, mac, 0);
  }

  entries(): ArpEntrySnapshot[] {
    const now = this.stack.clock.now();
    return [...this.cache.values()].map((e) => ({
      ip: ipv4ToString(e.ip),
      mac: e.mac,
      state: e.state,
      ifname: e.ifc.name,
      ageMs: Number.isFinite(e.confirmedAt) ? now - e.confirmedAt : 0,
      queued: e.queue.length,
    }));
  }

  close(): void {
    for (const e of this.cache.values()) this.stack.clock.clearTimer(e.timer);
    this.cache.clear();
  }
}
