import { afterAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync, spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { runCli } from '../../src-main/cli/main';
import { renderExport, runHeadless } from '../../src-main/session/export';
import { saveSession } from '../../src-main/session/saved';
import { conversationsOf } from '../../src-main/session/conversations';
import { sessionSeries } from '../../src-main/session/series';
import { FileSource } from '../../src-main/session/sources/file';
import { LabSource } from '../../src-main/session/sources/lab';
import type { Session } from '../../src-main/session/session';
import { xmlProblem } from '../diagram/xml-check';
import { missing, title } from '../support/requirements';

/** Exports (issue 9 §7) and save → reopen (§6): the checks of §9. */

const work = mkdtempSync(join(tmpdir(), 'tcplab-export-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const DEMO = resolve(import.meta.dirname, '../../resources/demo/tcp-demo.pcapng');
const golden = (name: string) => resolve(import.meta.dirname, 'golden', name);
const GOLDEN_LABS = ['handshake', 'four-way-close', 'half-close', 'fast-recovery', 'zero-window'];

class TextSink extends Writable {
  text = '';
  override _write(chunk: Buffer | string, _enc: BufferEncoding, cb: () => void): void {
    this.text += chunk.toString();
    cb();
  }
}

async function cli(argv: string[]) {
  const out = new TextSink();
  const err = new TextSink();
  const code = await runCli(['export', ...argv], { stdout: out, stderr: err, stdin: process.stdin });
  return { code, out: out.text, err: err.text };
}

const sessions = new Map<string, Session>();
async function lab(name: string): Promise<Session> {
  let s = sessions.get(name);
  if (!s) {
    s = await runHeadless(new LabSource(name, {}));
    sessions.set(name, s);
  }
  return s;
}
const text = (b: Uint8Array) => new TextDecoder().decode(b);

describe('SVG', () => {
  for (const name of ['handshake', 'fast-recovery']) {
    it(`lab ${name}: well-formed XML, one class="segment" element per segment with its data-frame`, async () => {
      const s = await lab(name);
      const data = conversationsOf(s).ladder(0);
      const svg = text((await renderExport(s, { format: 'svg', stream: 0 })).bytes);
      expect(xmlProblem(svg)).toBeNull();
      expect(svg.startsWith('<svg') || svg.startsWith('<?xml')).toBe(true);
      const elements = [...svg.matchAll(/<(\w+) class="segment\b[^"]*"([^>]*)>/g)];
      expect(elements.length).toBe(data.segments.length);
      const framesInSvg = elements.map((m) => /data-frame="(\d+)"/.exec(m[2]!)?.[1]).filter((x) => x !== undefined).map(Number);
      const framesInData = data.segments.filter((g) => g.frame !== null).map((g) => g.frame);
      expect(framesInSvg).toEqual(framesInData);
      expect(svg).toMatch(/class="state\b/);
    });
  }

  it('a damaged SVG is caught by the check (the test can fail)', async () => {
    const svg = text((await renderExport(await lab('handshake'), { format: 'svg', stream: 0 })).bytes);
    expect(xmlProblem(svg.replace('</g>', ''))).not.toBeNull();
  });
});

describe('Mermaid', () => {
  it('the export of a lab parses with the mermaid package, one message per segment', async () => {
    const mermaid = (await import('mermaid')).default;
    const s = await lab('fast-recovery');
    const mmd = text((await renderExport(s, { format: 'mermaid', stream: 0 })).bytes);
    await expect(mermaid.parse(mmd)).resolves.toMatchObject({ diagramType: 'sequence' });
    const messages = mmd.split('\n').filter((line) => /^\s+[AB](->>|-->>|-x)[AB]: /.test(line));
    expect(messages).toHaveLength(conversationsOf(s).ladder(0).segments.length);
  }, 60_000);
});

describe('ASCII goldens of labs through `tcplab export`', () => {
  for (const name of GOLDEN_LABS) {
    it(`lab ${name}`, async () => {
      const out = join(work, `${name}.txt`);
      const r = await cli(['--lab', name, '--stream', '0', '--format', 'ascii', '-o', out]);
      expect(r.err).toBe('');
      expect(r.code).toBe(0);
      const got = readFileSync(out, 'utf8');
      const file = golden(`lab-${name}.txt`);
      if (process.env.UPDATE_GOLDEN || !existsSync(file)) writeFileSync(file, got);
      expect(got).toBe(readFileSync(file, 'utf8'));
      expect(got).toContain('│');
    });
  }
});

describe('PNG and PDF', () => {
  it('PNG: signature, and 2× the SVG size', async () => {
    const s = await lab('handshake');
    const svg = text((await renderExport(s, { format: 'svg', stream: 0 })).bytes);
    const [, w, h] = /<svg[^>]*\bwidth="([\d.]+)"\s+height="([\d.]+)"/.exec(svg)!;
    const png = (await renderExport(s, { format: 'png', stream: 0 })).bytes;
    expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    const dv = new DataView(png.buffer, png.byteOffset, png.byteLength);
    expect(text(png.subarray(12, 16))).toBe('IHDR');
    expect(dv.getUint32(16)).toBe(Math.round(Number(w) * 2));
    expect(dv.getUint32(20)).toBe(Math.round(Number(h) * 2));
  });

  it('PDF: %PDF header, one page, %%EOF', async () => {
    const pdf = text((await renderExport(await lab('handshake'), { format: 'pdf', stream: 0 })).bytes);
    expect(pdf.startsWith('%PDF-')).toBe(true);
    expect(pdf.match(/\/Type \/Page\b/g)?.length).toBe(1);
    expect(pdf.trimEnd().endsWith('%%EOF')).toBe(true);
  });
});

describe('CSV and JSON', () => {
  it('segments: one row per segment with frame, direction, flags and both states', async () => {
    const s = await lab('handshake');
    const data = conversationsOf(s).ladder(0);
    const csv = text((await renderExport(s, { format: 'csv', stream: 0 })).bytes).trimEnd().split('\n');
    expect(csv[0]).toBe('frame,time,rxTime,direction,seen,seq,ack,relSeq,relAck,len,flags,window,analysis,stateA,stateB,label');
    expect(csv.length - 1).toBe(data.segments.length);
    const first = data.segments[0]!;
    expect(csv[1]).toMatch(new RegExp(`^${first.frame},${first.tx / 1e6},${first.rx! / 1e6},A→B,both,${first.seq},0,0,0,0,SYN,65535,,SYN-SENT,LISTEN,`));
    const json = JSON.parse(text((await renderExport(s, { format: 'json', stream: 0 })).bytes));
    expect(json.segments).toHaveLength(data.segments.length);
    expect(json.states.length).toBeGreaterThan(0);
  });

  it('series: the true cwnd of a lab, CSV and JSON', async () => {
    const s = await lab('fast-recovery');
    const series = sessionSeries(s, 0);
    expect(series.cwnd?.t.length).toBeGreaterThan(0);
    const csv = text((await renderExport(s, { format: 'csv', stream: 0, table: 'series' })).bytes);
    expect(csv.split('\n').filter((l) => l.startsWith('cwnd,')).length).toBe(series.cwnd!.t.length);
    const json = JSON.parse(text((await renderExport(s, { format: 'json', stream: 0, table: 'series' })).bytes));
    expect(json.cwnd.v).toEqual(series.cwnd!.v);
  });
});

const whyTshark = missing('tshark', 'tcpdump');
describe.skipIf(whyTshark !== null)(title(whyTshark, 'exported captures read back in tshark and tcpdump'), () => {
  const fields = (file: string, filter?: string) =>
    execFileSync('tshark', ['-r', file, ...(filter ? ['-Y', filter] : []), '-T', 'fields', '-e', 'frame.number', '-e', 'frame.len', '-e', 'frame.time_epoch'], {
      encoding: 'utf8',
      stderr: 'pipe',
    } as never) as unknown as string;

  it('the demo capture as pcapng and pcap: tshark sees the same frames, lengths and times', async () => {
    for (const format of ['pcapng', 'pcap']) {
      const out = join(work, `demo.${format}`);
      const r = await cli([DEMO, '--format', format, '-o', out]);
      expect(r.code).toBe(0);
      expect(fields(out)).toBe(fields(DEMO));
      expect(spawnSync('tcpdump', ['-r', out, '-nn']).status).toBe(0);
    }
  });

  it('one conversation of a lab as pcapng: its frames, in order', async () => {
    const s = await lab('fast-recovery');
    const out = join(work, 'fr-stream0.pcapng');
    writeFileSync(out, (await renderExport(s, { format: 'pcapng', stream: 0 })).bytes);
    const lines = fields(out).trimEnd().split('\n');
    const frames = conversationsOf(s).ladder(0).segments.filter((g) => g.frame !== null).map((g) => g.frame!);
    expect(lines.length).toBe(new Set(frames).size);
    expect(lines.map((l) => Number(l.split('\t')[1]))).toEqual([...new Set(frames)].sort((a, b) => a - b).map((no) => s.frames[no - 1]!.originalLength));
  });
});

describe('save → reopen', () => {
  for (const name of ['handshake', 'fast-recovery']) {
    it(`lab ${name}: the reopened file has the same ladder (true states, slanted arrows), probes and true cwnd`, async () => {
      const s = await lab(name);
      const path = join(work, `${name}-saved.pcapng`);
      const r = saveSession(s, path);
      expect(r.frames).toBe(s.frames.length);
      expect(readdirSync(work).filter((f) => f.endsWith('.partial'))).toEqual([]);
      const back = await runHeadless(new FileSource(path));
      expect(back.frames.length).toBe(s.frames.length);
      expect(back.probes).toEqual(s.probes);
      const before = conversationsOf(s);
      const after = conversationsOf(back);
      expect(after.list().length).toBe(before.list().length);
      for (const c of before.list()) {
        const ladder = after.ladder(c.stream);
        expect(ladder.source).toBe('lab');
        expect(ladder).toEqual(before.ladder(c.stream));
      }
      expect(after.ladder(0).states.every((x) => !x.inferred)).toBe(true);
      expect(after.ladder(0).segments.some((g) => g.seen === 'both' && g.rx !== null && g.rx > g.tx)).toBe(true);
      const sb = sessionSeries(s, 0);
      const sa = sessionSeries(back, 0);
      expect(sa.source).toBe('lab');
      expect(sa.cwnd).toEqual(sb.cwnd);
    });
  }

  it('an ordinary capture reopens as a capture (inferred states), no tcplab state', async () => {
    const back = await runHeadless(new FileSource(DEMO));
    expect((back.source as FileSource).saved).toBeNull();
    expect(conversationsOf(back).ladder(0).source).toBe('capture');
  });

  it.skipIf(whyTshark !== null)('tshark and tcpdump read a saved session without error; packets keep their numbers', async () => {
    const s = await lab('fast-recovery');
    const path = join(work, 'fr-tools.pcapng');
    saveSession(s, path);
    const td = spawnSync('tcpdump', ['-r', path, '-nn'], { encoding: 'utf8' });
    expect(td.status).toBe(0);
    expect(td.stdout.trimEnd().split('\n')).toHaveLength(s.frames.length);
    const ts = spawnSync('tshark', ['-r', path, '-Y', '!frame.cb_pen', '-T', 'fields', '-e', 'frame.number', '-e', 'frame.len'], { encoding: 'utf8' });
    expect(ts.status).toBe(0);
    // The tcplab blocks come after the last packet, so packet N is still frame N in tshark.
    expect(ts.stdout.trimEnd().split('\n')).toEqual(s.frames.map((f, i) => `${i + 1}\t${f.originalLength}`));
    const all = spawnSync('tshark', ['-r', path], { encoding: 'utf8' });
    expect(all.status).toBe(0);
  });
});

describe('tcplab export: bad arguments exit 2 with a clear message', () => {
  const cases: [string[], RegExp][] = [
    [['--lab', 'handshake', '--stream', '0', '-o', 'x.svg'], /--format is required/],
    [['--lab', 'handshake', '--stream', '0', '--format', 'gif', '-o', 'x.gif'], /--format must be one of/],
    [['--lab', 'handshake', '--format', 'svg', '-o', 'x.svg'], /--stream N is required/],
    [['--lab', 'handshake', '--stream', '0', '--format', 'svg'], /-o OUT is required/],
    [['--lab', 'no-such-lab', '--stream', '0', '--format', 'svg', '-o', 'x.svg'], /no lab named 'no-such-lab'/],
    [[DEMO, '--lab', 'handshake', '--stream', '0', '--format', 'svg', '-o', 'x.svg'], /either FILE or --lab/],
    [['--lab', 'handshake', '--stream', '7', '--format', 'svg', '-o', join(work, 'x.svg')], /no TCP conversation 7/],
    [['--lab', 'handshake', '--stream', '0', '--format', 'png', '-o', '-'], /needs a file/],
    [['--lab', 'handshake', '--stream', '0', '--format', 'ascii', '--detail', 'colour', '-o', '-'], /unknown item 'colour'/],
  ];
  for (const [argv, message] of cases) {
    it(argv.join(' '), async () => {
      const r = await cli(argv);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(message);
    });
  }
  it('a missing file is a runtime error (exit 1), no output written', async () => {
    const out = join(work, 'never.svg');
    const r = await cli([join(work, 'missing.pcap'), '--stream', '0', '--format', 'svg', '-o', out]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/ENOENT/);
    expect(existsSync(out)).toBe(false);
  });
});
