import { describe, expect, it } from 'vitest';
import { SM_EDGES, SM_HEIGHT, SM_NODES, SM_NODE_H, SM_NODE_W, SM_WIDTH, edgeOf, stateMachineAt } from '../../src-shared/diagram/state-machine';
import { TCP_STATES } from '../../src-shared/analysis/types';
import { labLike } from './fixtures';

describe('RFC 9293 Figure 5 as data', () => {
  it('has all eleven states, inside the canvas, without overlaps', () => {
    expect(new Set(SM_NODES.map((n) => n.state))).toEqual(new Set(TCP_STATES));
    for (const n of SM_NODES) {
      expect(n.x - SM_NODE_W / 2).toBeGreaterThanOrEqual(0);
      expect(n.x + SM_NODE_W / 2).toBeLessThanOrEqual(SM_WIDTH);
      expect(n.y - SM_NODE_H / 2).toBeGreaterThanOrEqual(0);
      expect(n.y + SM_NODE_H / 2).toBeLessThanOrEqual(SM_HEIGHT);
      for (const m of SM_NODES) {
        if (m === n) continue;
        const apart = Math.abs(m.x - n.x) >= SM_NODE_W || Math.abs(m.y - n.y) >= SM_NODE_H;
        expect(apart, `${n.id} overlaps ${m.id}`).toBe(true);
      }
    }
  });

  it('has the figure’s transitions with their event / action labels', () => {
    const text = (from: string, to: string) => {
      const e = edgeOf(from, to);
      return e ? `${e.event} / ${e.action}` : null;
    };
    expect(text('CLOSED', 'LISTEN')).toBe('passive OPEN / create TCB');
    expect(text('CLOSED', 'SYN-SENT')).toBe('active OPEN / create TCB, snd SYN');
    expect(text('LISTEN', 'SYN-RECEIVED')).toBe('rcv SYN / snd SYN,ACK');
    expect(text('SYN-SENT', 'ESTABLISHED')).toBe('rcv SYN,ACK / snd ACK');
    expect(text('SYN-RECEIVED', 'ESTABLISHED')).toBe('rcv ACK of SYN / x');
    expect(text('ESTABLISHED', 'CLOSE-WAIT')).toBe('rcv FIN / snd ACK');
    expect(text('FIN-WAIT-1', 'CLOSING')).toBe('rcv FIN / snd ACK');
    expect(text('TIME-WAIT', 'CLOSED')).toBe('Timeout=2MSL / delete TCB');
    expect(text('ESTABLISHED', 'SYN-SENT')).toBeNull();
    // Every edge joins two nodes and starts/ends on their borders.
    for (const e of SM_EDGES) {
      const a = SM_NODES.find((n) => n.id === e.from)!;
      const b = SM_NODES.find((n) => n.id === e.to)!;
      const [sx, sy] = e.points[0]!;
      const [ex, ey] = e.points[e.points.length - 1]!;
      expect(Math.abs(sx - a.x) <= SM_NODE_W / 2 + 31 && Math.abs(sy - a.y) <= SM_NODE_H / 2 + 1, e.id).toBe(true);
      expect(Math.abs(ex - b.x) <= SM_NODE_W / 2 + 31 && Math.abs(ey - b.y) <= SM_NODE_H / 2 + 1, e.id).toBe(true);
    }
    expect(SM_EDGES.filter((e) => !e.extra)).toHaveLength(20);
  });

  it('highlights each side’s state at the cursor and lights the transitions taken so far', () => {
    const data = labLike();
    const start = stateMachineAt(data, -1);
    expect(start.current.map((n) => n?.id)).toEqual(['CLOSED', 'LISTEN']);
    expect(start.taken).toEqual([]);
    const mid = stateMachineAt(data, 25_000);
    expect(mid.current.map((n) => n?.id)).toEqual(['ESTABLISHED', 'SYN-RECEIVED']);
    expect(mid.lit.get('closed-synsent')).toBe(1);
    expect(mid.lit.get('listen-synrcvd')).toBe(2);
    expect(mid.lit.get('synsent-estab')).toBe(1);
    expect(mid.lit.has('synrcvd-estab')).toBe(false);
    const end = stateMachineAt(data, Infinity);
    // B ends in the figure's bottom CLOSED (after LAST-ACK), A in TIME-WAIT.
    expect(end.current.map((n) => n?.id)).toEqual(['TIME-WAIT', 'CLOSED-END']);
    expect(end.taken).toHaveLength(9);
    // FIN-WAIT-1 → TIME-WAIT (FIN and ACK of FIN in one segment) is in the RFC's text, drawn as an extra edge.
    expect(end.lit.get('finwait1-timewait')).toBe(1);
    expect(end.taken.every((t) => t.edge !== null)).toBe(true);
    expect(end.taken.map((t) => t.change.frame)).toEqual([1, 1, 2, 3, 7, 7, 8, 8, 9]);
  });
});
