import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Netns, sh, uniqueSuffix } from '../../support/netns';
import { startTcpdump } from '../../support/netns';
import type { KernelCapture } from './kernel-captures';

const PEER = fileURLToPath(new URL('./peer.py', import.meta.url));
const MAIN = fileURLToPath(new URL('../../../src-main/cli/main.ts', import.meta.url));
const REPO = fileURLToPath(new URL('../../../', import.meta.url));

/**
 * The Linux kernel (192.0.2.1, in a test namespace) sending to tcplab's own stack (192.0.2.2 on a
 * TAP, `tcplab stack --serve discard`) through tcplab's fault injector (loss, delay, reordering,
 * duplication, seeded), captured by tcpdump on the kernel's side of the TAP.
 */
export async function makeTcplabCapture(dir: string, py: string, seed = 7): Promise<KernelCapture> {
  const tap = `tlt${uniqueSuffix()}`;
  const file = join(dir, 'kernel-to-tcplab.pcap');
  const stack = spawn(
    process.execPath,
    ['--import', 'tsx', MAIN, 'stack', '--tap', tap, '--create', '--ip', '192.0.2.2/24', '--serve', 'discard',
      '--loss', '0.02', '--delay', '3', '--reorder', '0.03', '--dup', '0.01', '--seed', String(seed)],
    { cwd: REPO, env: { ...process.env, TSX_TSCONFIG_PATH: 'tsconfig.node.json' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  let err = '';
  stack.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  stack.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<void>((r) => stack.on('exit', () => r()));
  let ns: Netns | null = null;
  try {
    const end = Date.now() + 60_000;
    while (!/ready on/.test(out)) {
      if (Date.now() > end || stack.exitCode !== null) throw new Error(`tcplab stack did not start: ${out} ${err}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    ns = Netns.create('tlt');
    sh('ip', ['link', 'set', tap, 'netns', ns.name]);
    ns.run('sysctl', ['-q', '-w', `net.ipv6.conf.${tap}.disable_ipv6=1`]);
    ns.run('ip', ['addr', 'add', '192.0.2.1/24', 'dev', tap]);
    ns.run('ip', ['link', 'set', tap, 'up']);
    const stop = await startTcpdump(ns, tap, file, ['--immediate-mode', '-s', '200', 'tcp']);
    try {
      await new Promise<void>((resolve) => {
        const c = ns!.spawn(py, [PEER, 'send', '192.0.2.2', '9', String(400_000)]);
        const timer = setTimeout(() => c.kill('SIGKILL'), 60_000);
        c.on('exit', () => {
          clearTimeout(timer);
          resolve();
        });
      });
      await new Promise((r) => setTimeout(r, 300));
    } finally {
      await stop();
    }
  } finally {
    stack.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    if (stack.exitCode === null) stack.kill('SIGKILL');
    ns?.destroy();
  }
  return {
    name: 'kernel-to-tcplab',
    file,
    description: 'Linux sends 400 kB to tcplab’s stack on a TAP through its fault injector (2% loss, 3 ms delay, 3% reordering, 1% duplication)',
  };
}
