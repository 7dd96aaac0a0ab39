/**
 * Exporters of a laid-out ladder (./ladder.ts): SVG, Mermaid `sequenceDiagram`, PlantUML and ASCII
 * art in the box-drawing style of the classic notes. Pure functions: a layout in, a string out.
 *
 * SVG contract (users script over it): each arrow is ONE element `<g class="segment …"
 * data-frame="N">` (N = its frame number; a lab segment the capture point never saw has no
 * data-frame but `data-index`), each state box ONE element `<g class="state" data-side="0|1"
 * data-state="NAME">`. Detail (relative seq, window, options, states, flags) and range are chosen
 * when the layout is made (layoutLadder's options).
 */
import type { LadderArrow, LadderLayout, StateBox } from './ladder';

function xml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const r1 = (n: number): string => String(Math.round(n * 10) / 10);

function seconds(us: number): string {
  return (us / 1e6).toFixed(6);
}

function gapText(fromUs: number, toUs: number): string {
  const d = (toUs - fromUs) / 1e6;
  return d >= 1 ? `${d.toFixed(2)} s idle` : `${(d * 1000).toFixed(1)} ms idle`;
}

function labelWithBadges(a: LadderArrow): string {
  return a.badges.length === 0 ? a.label : `${a.label} [${a.badges.join(', ')}]`;
}

// ------------------------------------------------------------------------------------------------
// SVG
// ------------------------------------------------------------------------------------------------

const SVG_STYLE = `
.lifeline{stroke:#555;stroke-width:1.5}
.endpoint{font:600 13px sans-serif;fill:#222}
.segment line,.segment path{stroke:#1f5fa8;stroke-width:1.3;fill:none}
.segment.syn line,.segment.fin line{stroke:#7a3fb0}
.segment.rst line{stroke:#c0392b}
.segment.one-sided line{stroke-dasharray:5 3}
.segment.lost line{stroke:#c0392b}
.segment text{font:11px monospace;fill:#222}
.segment .badge{fill:#b9770e}
.segment .cross{fill:#c0392b;font-size:14px}
.state rect{fill:#eef4fb;stroke:#1f5fa8}
.state.inferred rect{fill:#fff;stroke-dasharray:4 3;stroke:#777}
.state text{font:600 11px sans-serif;fill:#222}
.timer{stroke-width:4;stroke-linecap:butt}
.timer.rto{stroke:#c0392b}.timer.persist{stroke:#b9770e}.timer.keepalive{stroke:#16a085}
.timer.delack{stroke:#2980b9}.timer.time-wait{stroke:#7a3fb0}.timer.fin-wait-2{stroke:#7f8c8d}
.timer.tlp{stroke:#c0392b;stroke-dasharray:6 2}.timer.rack-reorder{stroke:#c0392b;stroke-dasharray:2 2}
.break rect{fill:#f4f4f4}.break text{font:italic 10px sans-serif;fill:#666}
.legend text{font:10px sans-serif;fill:#444}
`;

export interface SvgOptions {
  /** Title element text (accessibility). */
  title?: string;
}

export function ladderToSvg(layout: LadderLayout, opts: SvgOptions = {}): string {
  const g = layout.geometry;
  const out: string[] = [];
  out.push('<?xml version="1.0" encoding="UTF-8"?>');
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${g.width}" height="${r1(g.height)}" viewBox="0 0 ${g.width} ${r1(g.height)}" class="tcplab-ladder">`,
  );
  out.push(`<title>${xml(opts.title ?? `${layout.endpoints[0]} ⇄ ${layout.endpoints[1]}`)}</title>`);
  out.push(`<style>${SVG_STYLE}</style>`);
  out.push(
    '<defs><marker id="arrowhead" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#1f5fa8"/></marker></defs>',
  );
  out.push(`<text class="endpoint" x="${g.lifelineA}" y="20" text-anchor="middle">${xml(layout.endpoints[0])}</text>`);
  out.push(`<text class="endpoint" x="${g.lifelineB}" y="20" text-anchor="middle">${xml(layout.endpoints[1])}</text>`);
  for (const b of layout.breaks) {
    out.push(
      `<g class="break"><rect x="0" y="${r1(b.y + 4)}" width="${g.width}" height="${r1(b.height - 8)}"/><text x="${g.width / 2}" y="${r1(b.y + b.height / 2 + 3)}" text-anchor="middle">≈ ${xml(gapText(b.fromUs, b.toUs))} ≈</text></g>`,
    );
  }
  out.push(`<line class="lifeline" x1="${g.lifelineA}" y1="${g.top}" x2="${g.lifelineA}" y2="${r1(g.height - 20)}"/>`);
  out.push(`<line class="lifeline" x1="${g.lifelineB}" y1="${g.top}" x2="${g.lifelineB}" y2="${r1(g.height - 20)}"/>`);
  for (const s of layout.states) out.push(stateSvg(layout, s));
  for (const t of layout.timers) {
    out.push(
      `<line class="timer ${xml(t.timer)} ${t.outcome}" data-side="${t.side}" x1="${r1(t.x)}" y1="${r1(t.y1)}" x2="${r1(t.x)}" y2="${r1(Math.max(t.y2, t.y1 + 2))}"><title>${xml(`${t.timer} (${t.outcome})`)}</title></line>`,
    );
  }
  for (const a of layout.arrows) out.push(arrowSvg(a));
  out.push(legendSvg(layout));
  out.push('</svg>');
  return out.join('\n') + '\n';
}

function stateSvg(layout: LadderLayout, s: StateBox): string {
  const g = layout.geometry;
  const x = s.side === 0 ? g.stateA : g.stateB;
  const h = Math.max(14, s.y2 - s.y1);
  const cls = s.inferred ? 'state inferred' : 'state';
  return (
    `<g class="${cls}" data-side="${s.side}" data-state="${xml(s.state)}"${s.frame !== null ? ` data-frame="${s.frame}"` : ''}>` +
    `<rect x="${r1(x)}" y="${r1(s.y1)}" width="${g.stateWidth}" height="${r1(h)}" rx="3"/>` +
    `<text x="${r1(x + g.stateWidth / 2)}" y="${r1(s.y1 + 12)}" text-anchor="middle">${xml(s.state)}${s.inferred ? '?' : ''}</text>` +
    `<title>${xml(s.cause)}</title></g>`
  );
}

function arrowSvg(a: LadderArrow): string {
  const cls = `segment ${a.kind} ${a.seen}`;
  const frameAttr = a.frame !== null ? ` data-frame="${a.frame}"` : ` data-index="${a.index}"`;
  const parts: string[] = [`<g class="${cls}"${frameAttr} data-dir="${a.dir}">`];
  const marker = a.seen === 'lost' ? '' : ' marker-end="url(#arrowhead)"';
  parts.push(`<line x1="${r1(a.x1)}" y1="${r1(a.y1)}" x2="${r1(a.x2)}" y2="${r1(a.y2)}"${marker}/>`);
  if (a.seen === 'lost') parts.push(`<text class="cross" x="${r1(a.x2)}" y="${r1(a.y2 + 5)}" text-anchor="middle">✗</text>`);
  const lx = a.dir === 0 ? a.x1 + 6 : a.x1 - 6;
  const anchor = a.dir === 0 ? 'start' : 'end';
  parts.push(`<text x="${r1(lx)}" y="${r1(a.y1 - 3)}" text-anchor="${anchor}">${xml(a.label)}`);
  if (a.badges.length > 0) parts.push(`<tspan class="badge"> ${xml(a.badges.map((b) => `[${b}]`).join(' '))}</tspan>`);
  parts.push('</text></g>');
  return parts.join('');
}

function legendSvg(layout: LadderLayout): string {
  const items: string[] = [];
  if (layout.legend.trueStates) items.push('solid box: state reported by tcplab’s stack');
  if (layout.legend.inferred) items.push('dashed box (?): state inferred from the capture');
  if (layout.legend.oneSided) items.push('dashed arrow: one-sided (capture time only)');
  if (layout.legend.lost) items.push('✗: lost (sent, never received)');
  if (layout.legend.folded) items.push('≈: idle gap folded');
  const y = layout.geometry.height - 6;
  return `<g class="legend"><text x="8" y="${r1(y)}">${xml(items.join('   ·   '))}</text></g>`;
}

// ------------------------------------------------------------------------------------------------
// Mermaid and PlantUML: the arrows and state changes in time order, folded gaps as notes/delays.
// ------------------------------------------------------------------------------------------------

type Step =
  | { kind: 'arrow'; t: number; order: number; arrow: LadderArrow }
  | { kind: 'state'; t: number; order: number; box: StateBox }
  | { kind: 'gap'; t: number; order: number; fromUs: number; toUs: number };

/** Arrows by send time, each state change at its time, gaps between. */
function steps(layout: LadderLayout): Step[] {
  const out: Step[] = [];
  // At equal times a state change comes first: the stack changes state, then sends (a SYN after
  // "active open", an ACK after "rcv SYN,ACK"), which is also how the classic figures read.
  for (const a of layout.arrows) out.push({ kind: 'arrow', t: a.tx, order: 2, arrow: a });
  for (const s of layout.states) out.push({ kind: 'state', t: s.cause === 'initial' ? -Infinity : s.t, order: s.cause === 'initial' ? 0 : 1, box: s });
  for (const b of layout.breaks) out.push({ kind: 'gap', t: b.fromUs, order: 3, fromUs: b.fromUs, toUs: b.toUs });
  out.sort((p, q) => p.t - q.t || p.order - q.order || (p.kind === 'arrow' && q.kind === 'arrow' ? p.arrow.index - q.arrow.index : 0));
  return out;
}

/** Mermaid message text: no line breaks, no ';' or '#' (statement separator and entity marker). */
function mermaidText(s: string): string {
  return s.replace(/[;#\n\r]/g, ' ').replace(/</g, '‹').replace(/>/g, '›');
}

export function ladderToMermaid(layout: LadderLayout): string {
  const lines = ['sequenceDiagram'];
  lines.push(`    participant A as ${mermaidText(layout.endpoints[0])}`);
  lines.push(`    participant B as ${mermaidText(layout.endpoints[1])}`);
  for (const st of steps(layout)) {
    if (st.kind === 'arrow') {
      const a = st.arrow;
      const [from, to] = a.dir === 0 ? ['A', 'B'] : ['B', 'A'];
      // ->> solid arrow: both ends seen; -->> dotted: one-sided; -x: lost (ends in a cross).
      const op = a.seen === 'lost' ? '-x' : a.seen === 'one-sided' ? '-->>' : '->>';
      const frame = a.frame !== null ? `no. ${a.frame} ` : '';
      lines.push(`    ${from}${op}${to}: ${mermaidText(frame + labelWithBadges(a))}`);
    } else if (st.kind === 'state') {
      const b = st.box;
      const where = b.side === 0 ? 'left of A' : 'right of B';
      lines.push(`    Note ${where}: ${mermaidText(b.state + (b.inferred ? ' (inferred)' : ''))}`);
    } else {
      lines.push(`    Note over A,B: ${mermaidText(`… ${gapText(st.fromUs, st.toUs)} …`)}`);
    }
  }
  return lines.join('\n') + '\n';
}

function plantText(s: string): string {
  // '~' is PlantUML's escape character; escaping '<' keeps "<mss 1460>" from reading as a tag.
  return s.replace(/~/g, '~~').replace(/</g, '~<').replace(/\n/g, ' ');
}

export function ladderToPlantUml(layout: LadderLayout): string {
  const lines = ['@startuml', 'skinparam monochrome true', 'skinparam sequenceMessageAlign left'];
  lines.push(`participant "${layout.endpoints[0].replace(/"/g, "'")}" as A`);
  lines.push(`participant "${layout.endpoints[1].replace(/"/g, "'")}" as B`);
  for (const st of steps(layout)) {
    if (st.kind === 'arrow') {
      const a = st.arrow;
      const [from, to] = a.dir === 0 ? ['A', 'B'] : ['B', 'A'];
      const op = a.seen === 'lost' ? '->x' : a.seen === 'one-sided' ? '-->' : '->';
      const frame = a.frame !== null ? `no. ${a.frame} ` : '';
      lines.push(`${from} ${op} ${to} : ${plantText(frame + labelWithBadges(a))}`);
    } else if (st.kind === 'state') {
      const b = st.box;
      lines.push(`hnote over ${b.side === 0 ? 'A' : 'B'} : ${plantText(b.state + (b.inferred ? ' (inferred)' : ''))}`);
    } else {
      lines.push(`... ${gapText(st.fromUs, st.toUs)} ...`);
    }
  }
  lines.push('@enduml');
  return lines.join('\n') + '\n';
}

// ------------------------------------------------------------------------------------------------
// ASCII art: lifelines │, arrows ├────▶│ / │◀────┤, state boxes ┌──┐ beside the lifelines.
// ------------------------------------------------------------------------------------------------

export interface AsciiOptions {
  /** Show each arrow's send time in a column on the left (seconds). Default true. */
  times?: boolean;
  /** Widest arrow span (labels longer than this are cut with …). Default 64. */
  maxSpan?: number;
}

export function ladderToAscii(layout: LadderLayout, opts: AsciiOptions = {}): string {
  const showTimes = opts.times ?? true;
  const hasStates = layout.detail.states;
  const timeW = showTimes ? 11 : 0;
  const boxW = hasStates ? 16 : 0; // "│ SYN-RECEIVED │" = 16
  const colGap = hasStates ? 2 : 0;
  let longest = 0;
  for (const a of layout.arrows) longest = Math.max(longest, [...labelWithBadges(a)].length);
  const span = Math.max(24, Math.min(opts.maxSpan ?? 64, longest + 4));
  const la = timeW + boxW + colGap; // column of lifeline A
  const lb = la + span + 1; // column of lifeline B
  const width = lb + 1 + colGap + boxW;

  const blank = (): string[] => {
    const row = new Array<string>(width).fill(' ');
    row[la] = '│';
    row[lb] = '│';
    return row;
  };
  const put = (row: string[], col: number, text: string) => {
    const chars = [...text];
    for (let i = 0; i < chars.length && col + i < row.length; i++) if (col + i >= 0) row[col + i] = chars[i]!;
  };
  const rows: string[][] = [];
  const header = new Array<string>(width).fill(' ');
  const [ea, eb] = layout.endpoints;
  put(header, Math.max(0, la - Math.floor(ea.length / 2)), ea);
  put(header, Math.max(la + ea.length - Math.floor(ea.length / 2) + 2, lb - Math.floor(eb.length / 2)), eb);
  rows.push(header);
  rows.push(blank());

  const boxLines = (state: string): [string, string, string] => {
    const inner = boxW - 2;
    const name = state.length > inner - 2 ? state.slice(0, inner - 2) : state;
    const padL = Math.floor((inner - name.length) / 2);
    return ['┌' + '─'.repeat(inner) + '┐', '│' + ' '.repeat(padL) + name + ' '.repeat(inner - padL - name.length) + '│', '└' + '─'.repeat(inner) + '┘'];
  };
  const inferredBoxLines = (state: string): [string, string, string] => {
    const [t, m, b] = boxLines(state);
    // Dashed borders mark an inferred state.
    return [t.replace(/─/g, '╌').replace('┌', '┌').replace('┐', '┐'), m.replace(/^│/, '╎').replace(/│$/, '╎'), b.replace(/─/g, '╌')];
  };

  const all = steps(layout);
  for (let i = 0; i < all.length; i++) {
    const st = all[i]!;
    if (st.kind === 'state') {
      // Both sides' changes at one time share three lines.
      const group: StateBox[] = [st.box];
      while (i + 1 < all.length) {
        const nx = all[i + 1]!;
        if (nx.kind !== 'state' || nx.t !== st.t || group.some((g) => g.side === nx.box.side)) break;
        group.push(nx.box);
        i++;
      }
      const lines = [blank(), blank(), blank()];
      for (const b of group) {
        const box = b.inferred ? inferredBoxLines(b.state) : boxLines(b.state);
        const col = b.side === 0 ? timeW : lb + 1 + colGap;
        for (let k = 0; k < 3; k++) put(lines[k]!, col, box[k]!);
      }
      rows.push(...lines);
    } else if (st.kind === 'gap') {
      const row = new Array<string>(width).fill(' ');
      row[la] = '≈';
      row[lb] = '≈';
      const text = ` ${gapText(st.fromUs, st.toUs)} `;
      put(row, la + 1 + Math.max(0, Math.floor((span - text.length) / 2)), text);
      rows.push(row);
    } else {
      const a = st.arrow;
      let label = labelWithBadges(a);
      if ([...label].length > span - 2) label = [...label].slice(0, span - 3).join('') + '…';
      const lrow = blank();
      if (a.dir === 0) put(lrow, la + 2, label);
      else put(lrow, lb - 1 - [...label].length, label);
      if (showTimes) put(lrow, 0, seconds(a.tx).padStart(timeW - 2));
      const arow = blank();
      const line = a.seen === 'one-sided' ? '╌' : '─';
      if (a.dir === 0) {
        arow[la] = '├';
        const end = a.seen === 'lost' ? la + Math.floor(span * 0.6) : lb - 1;
        for (let c = la + 1; c < end; c++) arow[c] = line;
        if (a.seen === 'lost') arow[end] = '✗';
        else arow[lb - 1] = '▶';
      } else {
        arow[lb] = '┤';
        const end = a.seen === 'lost' ? lb - Math.floor(span * 0.6) : la + 1;
        for (let c = lb - 1; c > end; c--) arow[c] = line;
        if (a.seen === 'lost') arow[end] = '✗';
        else arow[la + 1] = '◀';
      }
      rows.push(lrow, arow);
    }
  }
  rows.push(blank());
  return rows.map((r) => r.join('').replace(/\s+$/, '')).join('\n') + '\n';
}
