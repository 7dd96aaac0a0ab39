import { afterAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { RpcError, requestSchemas } from '@shared/ipc/contract';
import { createDispatcher, toRpcError } from '../../src-main/transport/dispatcher';
import { SessionRegistry } from '../../src-main/session/registry';
import { createSource } from '../../src-main/session/sources';
import { tapOpenError } from '../../src-main/session/sources/tap';
import { TapError, tapCreateFix, tapOwnerFix } from '../../src-main/link/tap';
import { captureCapabilityFix } from '../../src-main/capture/live';
import { SaveGrants } from '../../src-main/electron/save-grants';
import { MAX_PDF_UNITS, MAX_PNG_PIXELS, renderExport, runHeadless } from '../../src-main/session/export';
import { FileSource } from '../../src-main/session/sources/file';
import { LabSource } from '../../src-main/session/sources/lab';
import { runCli } from '../../src-main/cli/main';
import { filterFrames } from '../../src-main/session/series';
import { CaptureReader } from '../../src-main/capture/reader';

/**
 * The main-side seams of the UI's Save and export (issue 9 §6, §7) and of the permission hint
 * (§8): the requests only Electron answers, its one-write path grants, and the fix that travels
 * with an EACCES to the renderer. The UI itself is covered by tests/e2e/export.spec.ts.
 */
const work = mkdtempSync(join(tmpdir(), 'tcplab-ui-save-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('requests only the Electron shell answers', () => {
  const registry = new SessionRegistry({ createSource });
  afterAll(() => registry.dispose());
  const dispatch = createDispatcher({ registry, version: 'test', shell: 'browser', initialSessionId: () => null });

  it('dialog.save and file.write say ENOTSUP in the browser shell (the renderer downloads instead)', async () => {
    await expect(dispatch('dialog.save', { suggestedName: 'a.pcapng' })).rejects.toMatchObject({ code: 'ENOTSUP', message: /browser shell has no native save dialog/ });
    await expect(dispatch('file.write', { path: join(work, 'x.svg'), bytes: new Uint8Array(3) })).rejects.toMatchObject({ code: 'ENOTSUP' });
    expect(existsSync(join(work, 'x.svg'))).toBe(false);
  });

  it('validate their parameters: a suggested name has no directory, a path is absolute', () => {
    expect(() => requestSchemas['dialog.save'].parse({ suggestedName: '../etc/passwd' })).toThrow(/suggestedName: expected/);
    expect(() => requestSchemas['file.write'].parse({ path: 'relative.png', bytes: new Uint8Array(1) })).toThrow(/path: expected/);
    expect(requestSchemas['dialog.save'].parse({ suggestedName: 'ladder-stream-0.svg' })).toEqual({ suggestedName: 'ladder-stream-0.svg' });
  });
});

describe('SaveGrants: Electron writes only where the save dialog pointed, once', () => {
  it('refuses a path the dialog did not grant, writes a granted one atomically, then refuses it again', () => {
    const grants = new SaveGrants();
    const path = join(work, 'chart.png');
    const bytes = Uint8Array.of(0x89, 0x50, 0x4e, 0x47);
    expect(() => grants.write({ path, bytes })).toThrow(/was not chosen in the save dialog/);
    expect(existsSync(path)).toBe(false);
    grants.grant(path);
    expect(grants.write({ path, bytes })).toEqual({ path, bytes: 4 });
    expect([...readFileSync(path)]).toEqual([...bytes]);
    expect(readdirSync(work).filter((f) => f.endsWith('.partial'))).toEqual([]);
    expect(() => grants.write({ path, bytes })).toThrow(RpcError);
  });

  it('a session.save grant is used up by one save', () => {
    const grants = new SaveGrants();
    grants.grant('/tmp/x.pcapng');
    expect(() => grants.take('session.save', '/tmp/y.pcapng')).toThrow(/'\/tmp\/y\.pcapng' was not chosen/);
    grants.take('session.save', '/tmp/x.pcapng');
    expect(() => grants.take('session.save', '/tmp/x.pcapng')).toThrow(/was not chosen/);
  });

  it('a failed write leaves neither the file nor a .partial behind', () => {
    const grants = new SaveGrants();
    const path = join(work, 'no-such-dir', 'out.svg');
    grants.grant(path);
    expect(() => grants.write({ path, bytes: new Uint8Array(1) })).toThrow(/ENOENT/);
    expect(existsSync(path) || existsSync(`${path}.partial`)).toBe(false);
  });
});

describe('the permission fix travels with the error', () => {
  it('a TAP EPERM becomes EACCES with the TAP’s own fix, in the message and as data', () => {
    const create = tapOpenError(new TapError('EPERM', 'tap: creating x needs CAP_NET_ADMIN', tapCreateFix('tlx0')), 'tlx0');
    expect(create.code).toBe('EACCES');
    expect(create.fix).toEqual({ kind: 'tap-create', command: 'sudo ip tuntap add dev tlx0 mode tap user $USER' });
    expect(create.message).toContain('sudo ip tuntap add dev tlx0 mode tap user $USER');
    const owner = tapOpenError(new TapError('EPERM', 'tap: not allowed', tapOwnerFix('tlx1')), 'tlx1');
    expect(owner.fix?.kind).toBe('tap-owner');
    expect(owner.message).toContain(owner.fix!.command);
    // Not a permission problem: no fix as data.
    expect(tapOpenError(new TapError('EBUSY', 'tap: busy'), 'tlx2').fix).toBeUndefined();
  });

  it('toRpcError keeps the fix (the worker → main → renderer hop), and leaves other errors alone', () => {
    const fix = { kind: 'capture' as const, command: 'sudo setcap cap_net_raw,cap_net_admin=eip /usr/bin/node' };
    expect(toRpcError(new RpcError('EACCES', 'denied', fix))).toEqual({ code: 'EACCES', message: 'denied', fix });
    expect(toRpcError(new RpcError('EINVAL', 'bad'))).toEqual({ code: 'EINVAL', message: 'bad' });
  });

  it('the capture fix names the real binary that runs tcplab (setcap refuses a symlink)', () => {
    const link = join(work, 'node-link');
    symlinkSync(process.execPath, link);
    const real = captureCapabilityFix(process.execPath);
    expect(real).toMatch(/^sudo setcap cap_net_raw,cap_net_admin=eip \/\S+$/);
    expect(captureCapabilityFix(link)).toBe(real);
    expect(captureCapabilityFix('/opt/my apps/electron')).toBe("sudo setcap cap_net_raw,cap_net_admin=eip '/opt/my apps/electron'");
  });
});

describe('the conversation table (every conversation; the UI’s Conversations CSV/JSON)', () => {
  const DEMO = join(import.meta.dirname, '../../resources/demo/tcp-demo.pcapng');

  async function cli(argv: string[]): Promise<string> {
    let out = '';
    const sink = new Writable({
      write(chunk: Buffer | string, _enc, cb) {
        out += chunk.toString();
        cb();
      },
    });
    const code = await runCli(argv, { stdout: sink, stderr: sink, stdin: process.stdin });
    expect(code, out).toBe(0);
    return out;
  }

  it('CSV and JSON hold what `tcplab conversations` prints (TSV → CSV, the same JSON)', async () => {
    const session = await runHeadless(new FileSource(DEMO));
    const csv = new TextDecoder().decode((await renderExport(session, { format: 'csv', table: 'conversations' })).bytes);
    const tsv = await cli(['conversations', DEMO]);
    const csvLines = csv.trimEnd().split('\n');
    const tsvLines = tsv.trimEnd().split('\n');
    expect(csvLines.length).toBe(tsvLines.length);
    expect(csvLines.length).toBeGreaterThan(1);
    // No cell of these rows holds a comma, so CSV is the TSV with commas.
    expect(csvLines).toEqual(tsvLines.map((l) => l.split('\t').join(',')));
    const json = new TextDecoder().decode((await renderExport(session, { format: 'json', table: 'conversations' })).bytes);
    expect(json).toBe(await cli(['conversations', DEMO, '--format', 'json']));
  });

  it('a diagnosis with several codes is one quoted CSV cell', async () => {
    const session = await runHeadless(new LabSource('fast-recovery', {}));
    const csv = new TextDecoder().decode((await renderExport(session, { format: 'csv', table: 'conversations' })).bytes);
    const header = csv.split('\n')[0]!.split(',');
    expect(header[0]).toBe('tcp.stream');
    expect(header.at(-1)).toBe('diagnosis');
    // Conversation 0 of this lab is diagnosed congestion-limited and reordering.
    const row = csv.split('\n')[1]!;
    expect(row).toMatch(/^0,192\.0\.2\.1:\d+,192\.0\.2\.2:5001,.*,"congestion-limited,reordering"$/);
    expect(csv.trimEnd().split('\n')).toHaveLength(3);
  });
});

describe('the frames a display filter shows (the Packets view’s Shown frames; tcplab export --filter)', () => {
  const DEMO = join(import.meta.dirname, '../../resources/demo/tcp-demo.pcapng');

  it('exports exactly the frames session.filter lists, and refuses a bad filter or frames + filter', async () => {
    const session = await runHeadless(new FileSource(DEMO));
    const shown = filterFrames(session, 'tcp.len > 0').frames;
    expect(shown.length).toBeGreaterThan(0);
    expect(shown.length).toBeLessThan(session.frames.length);
    const path = join(work, 'shown.pcapng');
    writeFileSync(path, (await renderExport(session, { format: 'pcapng', filter: 'tcp.len > 0' })).bytes);
    const reader = CaptureReader.open(path);
    const lengths: number[] = [];
    for (let r = reader.next(); r !== null; r = reader.next()) lengths.push(r.data.length);
    reader.close();
    expect(lengths).toEqual(shown.map((no) => session.frames[no - 1]!.data.length));
    await expect(renderExport(session, { format: 'pcap', filter: 'tcp.len >' })).rejects.toThrow(/display filter: column \d+/);
    await expect(renderExport(session, { format: 'pcap', filter: 'tcp', frames: [1] })).rejects.toThrow(/frames or a filter, not both/);
  });

  it('the CLI takes --filter for pcap/pcapng only, and a bad filter exits 2 without a file', async () => {
    const out = join(work, 'cli-shown.pcap');
    let err = '';
    const sink = new Writable({
      write(chunk: Buffer | string, _enc, cb) {
        err += chunk.toString();
        cb();
      },
    });
    const io = { stdout: sink, stderr: sink, stdin: process.stdin };
    expect(await runCli(['export', DEMO, '--format', 'pcap', '--filter', 'tcp.flags.syn == 1', '-o', out], io)).toBe(0);
    expect(readFileSync(out).readUInt32LE(0)).toBe(0xa1b2c3d4);
    expect(await runCli(['export', DEMO, '--format', 'pcap', '--filter', 'tcp.flags.syn = 1', '-o', join(work, 'bad.pcap')], io)).toBe(2);
    expect(err).toContain('a single "=" is not an operator');
    expect(existsSync(join(work, 'bad.pcap')) || existsSync(join(work, 'bad.pcap.partial'))).toBe(false);
    expect(await runCli(['export', DEMO, '--stream', '0', '--format', 'svg', '--filter', 'tcp', '-o', '-'], io)).toBe(2);
    expect(err).toContain('--filter applies to --format pcap or pcapng');
  });
});

describe('images too large to render or open are refused with advice, not rendered for minutes', () => {
  it('a 2,200-segment ladder: PNG and PDF refused with the size and the way out; a frame range renders', async () => {
    const session = await runHeadless(new LabSource('mathis', {}));
    const svg = new TextDecoder().decode((await renderExport(session, { format: 'svg', stream: 0 })).bytes);
    const height = Number(/<svg[^>]*\bheight="([\d.]+)"/.exec(svg)![1]);
    expect(height).toBeGreaterThan(MAX_PDF_UNITS);
    await expect(renderExport(session, { format: 'png', stream: 0 })).rejects.toThrow(/^png: the ladder would be 1800×\d+ px at 2× \(\d+ Mpx, more than 64\); choose a frame range/);
    await expect(renderExport(session, { format: 'pdf', stream: 0 })).rejects.toThrow(/^pdf: the ladder is 900×\d+ pt, more than a PDF page's 14400 pt; choose a frame range/);
    const png = (await renderExport(session, { format: 'png', stream: 0, frameRange: { from: 1, to: 60 } })).bytes;
    expect([...png.subarray(1, 4)]).toEqual([0x50, 0x4e, 0x47]);
    expect(Buffer.from(png).readUInt32BE(20) * Buffer.from(png).readUInt32BE(16)).toBeLessThanOrEqual(MAX_PNG_PIXELS);
  });
});
