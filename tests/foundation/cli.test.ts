import { describe, expect, it } from 'vitest';
import { PassThrough } from 'node:stream';
import { runCli } from '../../src-main/cli/main';
import { parseArgs } from '../../src-main/cli/args';
import type { OptionSpec } from '../../src-main/cli/command';
import pkg from '../../package.json' with { type: 'json' };

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => (out += d.toString()));
  stderr.on('data', (d: Buffer) => (err += d.toString()));
  const code = await runCli(argv, { stdout, stderr, stdin: new PassThrough() });
  return { code, out, err };
}

describe('tcplab CLI', () => {
  it('prints the package version', async () => {
    expect(await cli('--version')).toMatchObject({ code: 0, out: `tcplab ${pkg.version}\n` });
  });
  it('lists every command in --help', async () => {
    const { code, out } = await cli('--help');
    expect(code).toBe(0);
    expect(out).toMatch(/^ {2}serve {2,}Serve the UI/m);
  });
  it('rejects an unknown command with exit 2 and says what to do', async () => {
    const { code, err } = await cli('frobnicate');
    expect(code).toBe(2);
    expect(err).toContain("tcplab: unknown command 'frobnicate'");
    expect(err).toContain("Run 'tcplab --help'");
  });
  it('rejects an unknown flag of a command with exit 2', async () => {
    const { code, err } = await cli('serve', '--prot', '8080');
    expect(code).toBe(2);
    expect(err).toContain('tcplab serve: unknown option --prot');
  });
  it('refuses to serve on a non-loopback address', async () => {
    const { code, err } = await cli('serve', '--host', '0.0.0.0');
    expect(code).toBe(2);
    expect(err).toContain('--host must be a loopback address');
  });
  it('shows help for one command', async () => {
    const { code, out } = await cli('serve', '--help');
    expect(code).toBe(0);
    expect(out).toContain('Usage: tcplab serve [FILE | --lab NAME] [--port N] [--host 127.0.0.1] [--open]');
  });
});

describe('argument parser', () => {
  const specs: OptionSpec[] = [
    { name: 'verbose', short: 'v', type: 'count', description: '' },
    { name: 'count', short: 'c', type: 'number', description: '' },
    { name: 'field', short: 'e', type: 'list', description: '' },
    { name: 'numeric', short: 'n', type: 'boolean', description: '', shortOnly: true },
  ];
  it('handles tcpdump-style clusters, counts, values and lists', () => {
    expect(parseArgs(['-nvvv', '-c5', 'file.pcap', '-e', 'a', '-e', 'b', '--count=7'], specs)).toEqual({
      options: { numeric: true, verbose: 3, count: 7, field: ['a', 'b'] },
      positionals: ['file.pcap'],
    });
  });
  it('says which value is not a number', () => {
    expect(() => parseArgs(['-c', 'ten'], specs)).toThrow("option -c expects a number, got 'ten'");
  });
  it('does not accept a short-only option in long form', () => {
    expect(() => parseArgs(['--numeric'], specs)).toThrow('unknown option --numeric');
  });
});
