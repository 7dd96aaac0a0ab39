/**
 * The TCP connection state diagram of RFC 9293 §3.3.2 (Figure 5, "TCP Connection State Diagram"),
 * laid out by hand as data, and the mapping from a conversation's state changes (true or
 * inferred, see model/conversation.ts) to its edges.
 *
 * Figure 5 draws CLOSED twice (top: where a connection starts; bottom right: where LAST-ACK and
 * TIME-WAIT end); so does this layout (node ids 'CLOSED' and 'CLOSED-END', both state CLOSED).
 */
import type { LadderData, LadderStateDto } from '../model/conversation';

export interface SmNode {
  id: string;
  /** RFC 9293 state name. */
  state: string;
  /** Text shown (the figure's abbreviations). */
  label: string;
  x: number;
  y: number;
}

export interface SmEdge {
  id: string;
  from: string;
  to: string;
  /** Figure 5's label: the event above the line, the action below it ('x' = nothing). */
  event: string;
  action: string;
  /** Polyline through these points, from the source node's border to the target's. */
  points: [number, number][];
  /** Where the label goes. */
  lx: number;
  ly: number;
  /** Not drawn in Figure 5 but described in the RFC's text (e.g. FIN-WAIT-1 → TIME-WAIT). */
  extra?: boolean;
}

export const SM_WIDTH = 900;
export const SM_HEIGHT = 800;
export const SM_NODE_W = 128;
export const SM_NODE_H = 40;

export const SM_NODES: SmNode[] = [
  { id: 'CLOSED', state: 'CLOSED', label: 'CLOSED', x: 450, y: 40 },
  { id: 'LISTEN', state: 'LISTEN', label: 'LISTEN', x: 450, y: 160 },
  { id: 'SYN-RECEIVED', state: 'SYN-RECEIVED', label: 'SYN RCVD', x: 100, y: 280 },
  { id: 'SYN-SENT', state: 'SYN-SENT', label: 'SYN SENT', x: 800, y: 280 },
  { id: 'ESTABLISHED', state: 'ESTABLISHED', label: 'ESTAB', x: 450, y: 400 },
  { id: 'FIN-WAIT-1', state: 'FIN-WAIT-1', label: 'FIN WAIT-1', x: 100, y: 520 },
  { id: 'CLOSE-WAIT', state: 'CLOSE-WAIT', label: 'CLOSE WAIT', x: 800, y: 520 },
  { id: 'FIN-WAIT-2', state: 'FIN-WAIT-2', label: 'FIN WAIT-2', x: 100, y: 640 },
  { id: 'CLOSING', state: 'CLOSING', label: 'CLOSING', x: 450, y: 640 },
  { id: 'LAST-ACK', state: 'LAST-ACK', label: 'LAST-ACK', x: 800, y: 640 },
  { id: 'TIME-WAIT', state: 'TIME-WAIT', label: 'TIME WAIT', x: 450, y: 755 },
  { id: 'CLOSED-END', state: 'CLOSED', label: 'CLOSED', x: 800, y: 755 },
];

const node = (id: string): SmNode => SM_NODES.find((n) => n.id === id)!;

/** The point where the line from the node's centre towards (px, py) leaves its box. */
function border(n: SmNode, px: number, py: number): [number, number] {
  const dx = px - n.x;
  const dy = py - n.y;
  if (dx === 0 && dy === 0) return [n.x, n.y];
  const sx = dx === 0 ? Infinity : SM_NODE_W / 2 / Math.abs(dx);
  const sy = dy === 0 ? Infinity : SM_NODE_H / 2 / Math.abs(dy);
  const s = Math.min(sx, sy);
  return [n.x + dx * s, n.y + dy * s];
}

function edge(
  id: string,
  from: string,
  to: string,
  event: string,
  action: string,
  opts: { via?: [number, number][]; dx?: number; dy?: number; label?: [number, number]; extra?: boolean } = {},
): SmEdge {
  const a = node(from);
  const b = node(to);
  const off = (n: SmNode): SmNode => ({ ...n, x: n.x + (opts.dx ?? 0), y: n.y + (opts.dy ?? 0) });
  const a2 = off(a);
  const b2 = off(b);
  const via = opts.via ?? [];
  const firstTarget = via[0] ?? [b2.x, b2.y];
  const lastSource = via[via.length - 1] ?? [a2.x, a2.y];
  // Offset endpoints stay inside the real box: clip from the offset centre against the real box.
  const start = border({ ...a, x: a.x, y: a.y }, firstTarget[0] - (opts.dx ?? 0), firstTarget[1] - (opts.dy ?? 0));
  const end = border({ ...b, x: b.x, y: b.y }, lastSource[0] - (opts.dx ?? 0), lastSource[1] - (opts.dy ?? 0));
  const points: [number, number][] = [[start[0] + (opts.dx ?? 0), start[1] + (opts.dy ?? 0)], ...via, [end[0] + (opts.dx ?? 0), end[1] + (opts.dy ?? 0)]];
  const mid = points[Math.floor(points.length / 2)]!;
  const prev = points[Math.floor(points.length / 2) - 1] ?? mid;
  const label = opts.label ?? [(mid[0] + prev[0]) / 2, (mid[1] + prev[1]) / 2];
  const e: SmEdge = { id, from, to, event, action, points, lx: label[0], ly: label[1] };
  if (opts.extra) e.extra = true;
  return e;
}

export const SM_EDGES: SmEdge[] = [
  edge('closed-listen', 'CLOSED', 'LISTEN', 'passive OPEN', 'create TCB', { dx: -22, label: [352, 100] }),
  edge('listen-closed', 'LISTEN', 'CLOSED', 'CLOSE', 'delete TCB', { dx: 22, label: [548, 100] }),
  edge('closed-synsent', 'CLOSED', 'SYN-SENT', 'active OPEN', 'create TCB, snd SYN', { via: [[800, 40]], label: [650, 22] }),
  edge('listen-synrcvd', 'LISTEN', 'SYN-RECEIVED', 'rcv SYN', 'snd SYN,ACK', { label: [240, 205] }),
  edge('listen-synsent', 'LISTEN', 'SYN-SENT', 'SEND', 'snd SYN', { label: [660, 205] }),
  edge('synrcvd-listen', 'SYN-RECEIVED', 'LISTEN', 'rcv RST (note 1)', '', { via: [[100, 160]], label: [230, 145] }),
  edge('synsent-synrcvd', 'SYN-SENT', 'SYN-RECEIVED', 'rcv SYN', 'snd SYN,ACK', { label: [450, 268] }),
  edge('synsent-closed', 'SYN-SENT', 'CLOSED', 'CLOSE', 'delete TCB', { via: [[860, 100]], dx: 30, label: [880, 150] }),
  edge('synrcvd-estab', 'SYN-RECEIVED', 'ESTABLISHED', 'rcv ACK of SYN', 'x', { label: [240, 350] }),
  edge('synsent-estab', 'SYN-SENT', 'ESTABLISHED', 'rcv SYN,ACK', 'snd ACK', { label: [660, 350] }),
  edge('synrcvd-finwait1', 'SYN-RECEIVED', 'FIN-WAIT-1', 'CLOSE', 'snd FIN', { label: [48, 400] }),
  edge('estab-finwait1', 'ESTABLISHED', 'FIN-WAIT-1', 'CLOSE', 'snd FIN', { label: [260, 450] }),
  edge('estab-closewait', 'ESTABLISHED', 'CLOSE-WAIT', 'rcv FIN', 'snd ACK', { label: [640, 450] }),
  edge('finwait1-finwait2', 'FIN-WAIT-1', 'FIN-WAIT-2', 'rcv ACK of FIN', 'x', { label: [48, 580] }),
  edge('finwait1-closing', 'FIN-WAIT-1', 'CLOSING', 'rcv FIN', 'snd ACK', { label: [275, 565] }),
  edge('finwait1-timewait', 'FIN-WAIT-1', 'TIME-WAIT', 'rcv FIN + ACK of FIN', 'snd ACK', { via: [[220, 700]], label: [215, 655], extra: true }),
  edge('closewait-lastack', 'CLOSE-WAIT', 'LAST-ACK', 'CLOSE', 'snd FIN', { label: [852, 580] }),
  edge('finwait2-timewait', 'FIN-WAIT-2', 'TIME-WAIT', 'rcv FIN', 'snd ACK', { via: [[100, 755]], label: [200, 740] }),
  edge('closing-timewait', 'CLOSING', 'TIME-WAIT', 'rcv ACK of FIN', 'x', { label: [510, 700] }),
  edge('lastack-closed', 'LAST-ACK', 'CLOSED-END', 'rcv ACK of FIN', 'x', { label: [852, 700] }),
  edge('timewait-closed', 'TIME-WAIT', 'CLOSED-END', 'Timeout=2MSL', 'delete TCB', { label: [625, 740] }),
];

/** The Figure 5 edge a transition follows, or null (e.g. an abort by RST, which the figure omits). */
export function edgeOf(from: string, to: string): SmEdge | null {
  for (const e of SM_EDGES) {
    if (node(e.from).state === from && node(e.to).state === to) return e;
  }
  return null;
}

/** The node that shows an endpoint in `state`, given whether it ever left CLOSED. */
export function nodeOf(state: string, started: boolean): SmNode | null {
  if (state === 'CLOSED') return node(started ? 'CLOSED-END' : 'CLOSED');
  return SM_NODES.find((n) => n.state === state) ?? null;
}

export interface TakenTransition {
  change: LadderStateDto;
  edge: SmEdge | null;
}

export interface StateMachineSnapshot {
  /** Each side's node at the cursor. */
  current: [SmNode | null, SmNode | null];
  /** Transitions taken up to the cursor, in time order. */
  taken: TakenTransition[];
  /** Edge id → which sides took it (bit 0: A, bit 1: B). */
  lit: Map<string, number>;
}

/** What the diagram highlights at time t (µs); t = Infinity for "the end". */
export function stateMachineAt(data: LadderData, t: number): StateMachineSnapshot {
  const current: [string, string] = [data.initialStates[0], data.initialStates[1]];
  const started = [false, false];
  const taken: TakenTransition[] = [];
  const lit = new Map<string, number>();
  const changes = [...data.states].sort((p, q) => p.t - q.t);
  for (const c of changes) {
    if (c.t > t) break;
    const e = edgeOf(c.from, c.state);
    taken.push({ change: c, edge: e });
    if (e) lit.set(e.id, (lit.get(e.id) ?? 0) | (1 << c.side));
    current[c.side] = c.state;
    started[c.side] = true;
  }
  return { current: [nodeOf(current[0], started[0]!), nodeOf(current[1], started[1]!)], taken, lit };
}
