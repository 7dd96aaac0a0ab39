import { spawn } from 'node:child_process';
import { TapDevice } from '../../src-main/link/tap';
import { Netns, sh, uniqueSuffix } from './netns';

/**
 * A TAP that tcplab holds, with the kernel's side of it in a fresh network namespace.
 *
 * How (checked on Linux 6.18): the TAP is created in the root namespace by TUNSETIFF on our own
 * fd (non-persistent), then moved with `ip link set NAME netns NS`. The fd keeps working after the
 * move (frames flow both ways), so tcplab runs in the test process and the kernel peer lives in the
 * namespace. Closing the fd removes the TAP wherever it is; the namespace is deleted after.
 *
 * The kernel side gets 192.0.2.1/24 (KERNEL_ADDR) and IPv6 disabled (no MLD/RS noise on the
 * wire); put the tcplab stack on 192.0.2.2 (STACK_ADDR).
 *
 * IMPORTANT: while the stack runs in this process, never run a kernel tool with execFileSync —
 * that blocks the event loop and the stack cannot answer. Use `runInNs` (async) instead.
 */
export const KERNEL_ADDR = '192.0.2.1';
export const STACK_ADDR = '192.0.2.2';

export interface TapInNetns {
  ns: Netns;
  tap: TapDevice;
  /** Interface name (same inside the namespace). */
  ifname: string;
  /** MAC of the kernel's side of the TAP. */
  kernelMac: string;
  kernelAddr: string;
  stackAddr: string;
  /** Closes the TAP (removing it) and deletes the namespace. */
  destroy(): Promise<void>;
}

export async function createTapInNetns(prefix: string, opts: { mtu?: number } = {}): Promise<TapInNetns> {
  const ifname = `tl${prefix.slice(0, 6)}${uniqueSuffix()}`.slice(0, 15);
  const tap = await TapDevice.open(ifname, { create: true, mtu: opts.mtu ?? 1500 });
  let ns: Netns | null = null;
  try {
    ns = Netns.create(prefix);
    sh('ip', ['link', 'set', ifname, 'netns', ns.name]);
    ns.run('sysctl', ['-q', '-w', `net.ipv6.conf.${ifname}.disable_ipv6=1`]);
    ns.run('ip', ['addr', 'add', `${KERNEL_ADDR}/24`, 'dev', ifname]);
    if (opts.mtu) ns.run('ip', ['link', 'set', ifname, 'mtu', String(opts.mtu)]);
    ns.run('ip', ['link', 'set', ifname, 'up']);
    const kernelMac = ns.run('cat', [`/sys/class/net/${ifname}/address`]).trim();
    const owned = ns;
    return {
      ns: owned,
      tap,
      ifname,
      kernelMac,
      kernelAddr: KERNEL_ADDR,
      stackAddr: STACK_ADDR,
      async destroy() {
        await tap.close();
        owned.destroy();
      },
    };
  } catch (err) {
    await tap.close();
    ns?.destroy();
    throw err;
  }
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command inside the namespace without blocking the event loop. */
export function runInNs(
  ns: Netns,
  cmd: string,
  args: string[],
  opts: { input?: string | Uint8Array; timeoutMs?: number } = {},
): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn('ip', ['netns', 'exec', ns.name, cmd, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('latin1')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 20_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.on('error', () => {});
    if (opts.input !== undefined) child.stdin.end(opts.input);
    else child.stdin.end();
  });
}
