import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';

/**
 * Network namespaces that a test creates and removes itself. All addresses are in
 * 192.0.2.0/24 (TEST-NET-1), and traffic never leaves the namespaces the test made.
 */
export function sh(cmd: string, args: string[], opts: { input?: string; timeoutMs?: number } = {}): string {
  return execFileSync(cmd, args, {
    encoding: 'utf8',
    input: opts.input,
    timeout: opts.timeoutMs ?? 30_000,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
}

/** A short unique suffix for interface and namespace names (IFNAMSIZ is 16 with the NUL). */
export function uniqueSuffix(): string {
  return randomBytes(3).toString('hex');
}

export class Netns {
  private constructor(readonly name: string) {}

  static create(prefix: string): Netns {
    const name = `${prefix}-${uniqueSuffix()}`;
    sh('ip', ['netns', 'add', name]);
    const ns = new Netns(name);
    ns.run('ip', ['link', 'set', 'lo', 'up']);
    return ns;
  }

  /** Runs a command inside the namespace and returns its stdout. */
  run(cmd: string, args: string[], opts: { input?: string; timeoutMs?: number } = {}): string {
    return sh('ip', ['netns', 'exec', this.name, cmd, ...args], opts);
  }

  /** Starts a long-running command inside the namespace. */
  spawn(cmd: string, args: string[]): ChildProcess {
    return spawn('ip', ['netns', 'exec', this.name, cmd, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  }

  /** Moves an interface of the root namespace into this one and configures it. */
  adopt(ifname: string, cidr: string, opts: { mtu?: number } = {}): void {
    sh('ip', ['link', 'set', ifname, 'netns', this.name]);
    this.run('ip', ['addr', 'add', cidr, 'dev', ifname]);
    if (opts.mtu) this.run('ip', ['link', 'set', ifname, 'mtu', String(opts.mtu)]);
    this.run('ip', ['link', 'set', ifname, 'up']);
  }

  destroy(): void {
    try {
      sh('ip', ['netns', 'del', this.name]);
    } catch {
      // already gone
    }
  }
}

/**
 * Two namespaces joined by a veth pair: `a` has 192.0.2.1/24 on `ifA`, `b` 192.0.2.2/24 on `ifB`.
 * Real kernel traffic between them is the reference material for decode and analysis tests.
 */
export interface VethPair {
  a: Netns;
  b: Netns;
  ifA: string;
  ifB: string;
  addrA: string;
  addrB: string;
  destroy(): void;
}

export function createVethPair(prefix: string, opts: { mtu?: number } = {}): VethPair {
  const a = Netns.create(`${prefix}a`);
  const b = Netns.create(`${prefix}b`);
  const suffix = uniqueSuffix();
  const ifA = `va${suffix}`;
  const ifB = `vb${suffix}`;
  sh('ip', ['link', 'add', ifA, 'type', 'veth', 'peer', 'name', ifB]);
  a.adopt(ifA, '192.0.2.1/24', opts);
  b.adopt(ifB, '192.0.2.2/24', opts);
  return {
    a,
    b,
    ifA,
    ifB,
    addrA: '192.0.2.1',
    addrB: '192.0.2.2',
    destroy() {
      a.destroy();
      b.destroy();
    },
  };
}

/**
 * Runs tcpdump in a namespace writing `file`, resolves once tcpdump says it is listening, and
 * returns a stop function that waits for the file to be flushed.
 */
export async function startTcpdump(
  ns: Netns,
  ifname: string,
  file: string,
  extraArgs: string[] = [],
): Promise<() => Promise<void>> {
  const child = ns.spawn('tcpdump', ['-i', ifname, '-U', '-w', file, ...extraArgs]);
  await new Promise<void>((resolve, reject) => {
    let err = '';
    const timer = setTimeout(() => reject(new Error(`tcpdump did not start: ${err}`)), 10_000);
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      if (err.includes('listening on')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`tcpdump exited with ${code}: ${err}`));
    });
  });
  return () =>
    new Promise<void>((resolve) => {
      child.removeAllListeners('exit');
      child.on('exit', () => resolve());
      child.kill('SIGINT');
    });
}
