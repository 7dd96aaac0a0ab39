import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

export const repo = resolve(import.meta.dirname, '../..');
export const artifactsDir = resolve(repo, 'artifacts');

export interface Served {
  url: string;
  token: string;
  origin: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/**
 * Starts the built `tcplab serve [args]` and resolves with the URL it prints on its first line.
 * `prefix` runs it under another program (e.g. `setpriv` dropping every capability, to meet the
 * EPERM a user without privileges meets).
 */
export async function startServe(args: string[] = [], opts: { prefix?: string[] } = {}): Promise<Served> {
  const bin = resolve(repo, 'bin/tcplab.js');
  if (!existsSync(resolve(repo, 'out/main/cli.js'))) throw new Error('run `npm run build` before the e2e tests');
  const [command, ...rest] = [...(opts.prefix ?? []), process.execPath, bin, 'serve', ...args];
  const child = spawn(command!, rest, { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
  const url = await new Promise<string>((resolvePromise, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`tcplab serve printed no URL in 20 s: ${out} ${err}`)), 20_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const first = out.split('\n')[0];
      if (out.includes('\n') && first) {
        clearTimeout(timer);
        resolvePromise(first.trim());
      }
    });
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`tcplab serve exited with ${code}: ${err}`));
    });
  });
  const parsed = new URL(url);
  return {
    url,
    token: parsed.searchParams.get('token') ?? '',
    origin: parsed.origin,
    child,
    stop: () =>
      new Promise<void>((r) => {
        if (child.exitCode !== null) return r();
        child.once('exit', () => r());
        child.kill('SIGTERM');
      }),
  };
}
