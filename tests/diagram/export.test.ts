import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { layoutLadder } from '../../src-shared/diagram/ladder';
import { ladderToAscii, ladderToMermaid, ladderToPlantUml, ladderToSvg } from '../../src-shared/diagram/export';
import { createDemoSource } from '../../src-main/session/sources/demo';
import { LabSource } from '../../src-main/session/sources/lab';
import { conversationsOf } from '../../src-main/session/conversations';
import { labs } from '../../src-main/labs';
import { labLike } from './fixtures';
import { runSession } from './support';
import { xmlProblem } from './xml-check';

const golden = (name: string) => resolve(import.meta.dirname, 'golden', name);

/** Compares with the golden file; UPDATE_GOLDEN=1 rewrites it (review the diff before committing). */
function expectGolden(name: string, text: string): void {
  const path = golden(name);
  if (process.env.UPDATE_GOLDEN === '1' || !existsSync(path)) {
    if (process.env.CI) throw new Error(`golden file ${name} is missing`);
    writeFileSync(path, text);
  }
  expect(text).toBe(readFileSync(path, 'utf8'));
}

describe('SVG', () => {
  it('is well-formed XML with one class="segment" element per arrow and one class="state" per box', () => {
    const l = layoutLadder(labLike());
    const svg = ladderToSvg(l);
    expect(xmlProblem(svg)).toBeNull();
    const segments = svg.match(/<g class="segment [^"]*"[^>]*>/g) ?? [];
    expect(segments).toHaveLength(9);
    const frames = segments.map((g) => Number(/data-frame="(\d+)"/.exec(g)![1]));
    expect(frames.sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const states = svg.match(/<g class="state[ "][^>]*>/g) ?? [];
    expect(states).toHaveLength(l.states.length);
    expect(svg).toContain('class="segment data lost"');
    expect(svg).toContain('✗');
    // Labels are escaped: "<mss 1460>" must not become a tag.
    expect(svg).toContain('&lt;mss 1460&gt;');
    expect(svg).toContain('[retransmission]');
  });
  it('the checker itself rejects broken XML', () => {
    expect(xmlProblem('<svg><g></svg>')).not.toBeNull();
    expect(xmlProblem('<svg a="1" a="2"/>')).not.toBeNull();
    expect(xmlProblem('<svg>a & b</svg>')).not.toBeNull();
    expect(xmlProblem('<svg><text>&lt;ok&gt;</text></svg>')).toBeNull();
  });
  it('follows the detail and range choices', () => {
    const svg = ladderToSvg(layoutLadder(labLike(), { detail: { relative: false, states: false, window: false }, frameRange: { from: 1, to: 3 } }));
    expect(xmlProblem(svg)).toBeNull();
    expect(svg.match(/class="segment /g)).toHaveLength(3);
    expect(svg).not.toContain('class="state');
    expect(svg).toContain('SYN 1000(0) &lt;mss 1460&gt;');
  });
});

describe('Mermaid', () => {
  it('parses with the mermaid package and has one message per segment', async () => {
    const mermaid = (await import('mermaid')).default;
    const l = layoutLadder(labLike());
    const text = ladderToMermaid(l);
    await expect(mermaid.parse(text)).resolves.toMatchObject({ diagramType: 'sequence' });
    const messages = text.split('\n').filter((line) => /^\s+[AB](->>|-->>|-x)[AB]: /.test(line));
    expect(messages).toHaveLength(9);
    expect(text).toContain('A-xB: no. 4 1:1025(1024) ack 1 win 4096');
    expect(text).toContain('Note left of A: SYN-SENT');
    expect(text).toContain('Note over A,B: … 2.00 s idle …');
    // The parser does reject a broken diagram (the check above can fail).
    await expect(mermaid.parse(`${text}    A->>: no receiver\n`)).rejects.toThrow();
  }, 30_000);
});

describe('PlantUML', () => {
  it('writes @startuml … @enduml with participants, one message per segment, notes and delays', () => {
    const text = ladderToPlantUml(layoutLadder(labLike()));
    const lines = text.trim().split('\n');
    expect(lines[0]).toBe('@startuml');
    expect(lines[lines.length - 1]).toBe('@enduml');
    expect(lines).toContain('participant "192.0.2.1:1025" as A');
    expect(lines.filter((x) => /^[AB] (->|-->|->x) [AB] : /.test(x))).toHaveLength(9);
    expect(lines).toContain('A ->x B : no. 4 1:1025(1024) ack 1 win 4096');
    expect(lines).toContain('A -> B : no. 1 SYN 0(0) win 4096 ~<mss 1460>');
    expect(lines).toContain('... 2.00 s idle ...');
    expect(lines).toContain('hnote over B : LAST-ACK');
  });
});

describe('ASCII art', () => {
  it('draws lifelines, labelled arrows, lost segments and state boxes', () => {
    const text = ladderToAscii(layoutLadder(labLike()));
    expect(text).toContain('├');
    expect(text).toContain('▶│');
    expect(text).toContain('│◀');
    expect(text).toContain('✗');
    expect(text).toContain('│   SYN-SENT   │');
    expect(text).toContain('2.00 s idle');
    // Every arrow row starts at a lifeline and every line stays inside the width.
    const rows = text.split('\n');
    expect(rows.filter((r) => /[├┤].*(▶│|✗)|│◀.*┤|✗.*┤/.test(r))).toHaveLength(9);
    expectGolden('fixture-lab-like.txt', text);
  });

  it('matches the golden file for the demo capture (inferred states, one-sided arrows)', async () => {
    const session = await runSession(createDemoSource());
    const l = layoutLadder(conversationsOf(session).ladder(0));
    expectGolden('demo.txt', ladderToAscii(l));
  });

  for (const name of ['handshake', 'four-way-close']) {
    const present = labs.some((x) => x.name === name);
    it.skipIf(!present)(`matches the golden file for the ${name} lab (true states, slanted arrows)`, async () => {
      const session = await runSession(new LabSource(name, {}));
      const idx = conversationsOf(session);
      const conv = idx.list().sort((a, b) => b.segments - a.segments)[0]!;
      const data = idx.ladder(conv.stream);
      expect(data.source).toBe('lab');
      expect(data.segments.every((s) => s.seen !== 'one-sided')).toBe(true);
      expectGolden(`lab-${name}.txt`, ladderToAscii(layoutLadder(data)));
    });
  }
});
