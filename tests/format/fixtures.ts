import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChildProcess } from 'node:child_process';
import { createVethPair, startTcpdump, type Netns, type VethPair } from '../support/netns';

/**
 * Reference captures of real kernel traffic for the decode conformance tests. Everything happens
 * in two namespaces joined by a veth pair (192.0.2.0/24 only); tcpdump writes the files on `a`'s
 * veth, so both directions are in them.
 *
 * - `kernel.pcap`: the full traffic mix below, full snaplen.
 * - `kernel-s60.pcap`, `kernel-s82.pcap`: the same traffic cut at 60 / 82 bytes (`[|tcp]`,
 *   `[|icmp]`, `[|domain]`, cut TCP options…).
 * - `kernel-any.pcap`, `kernel-any-sll.pcap`: the same traffic on `-i any` with LINUX_SLL2 and
 *   LINUX_SLL link headers.
 *
 * Traffic: ARP (neighbour cache flushed first), ping (plain, `-s 0`, `-s 1473`, `-s 3000` which
 * fragment at MTU 1500), 802.1Q-tagged ping over a VLAN (when the kernel has 8021q), HTTP with
 * curl against `python3 -m http.server`, a TCP echo over socat, UDP echo and DNS queries against a
 * tiny responder (tests/format/dns-responder.py), UDP and TCP to a closed port (ICMP port
 * unreachable, RST), TTL expiry, a redirect, host-unreachable/admin-prohibited routes and a
 * fragmentation-needed reply from `b` acting as a router back to `a`.
 */
export interface KernelCaptures {
  dir: string;
  files: string[];
  /** Which optional parts could not be made on this kernel (e.g. no 8021q). */
  notes: string[];
}

const here = fileURLToPath(new URL('.', import.meta.url));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function tryRun(ns: Netns, cmd: string, args: string[], timeoutMs = 10_000): string | null {
  try {
    return ns.run(cmd, args, { timeoutMs });
  } catch (e) {
    if (process.env.TCPLAB_FIXTURE_DEBUG) console.error(`${cmd} ${args.join(' ')}: ${String((e as { stdout?: string }).stdout)} ${String((e as { stderr?: string }).stderr)}`);
    return null;
  }
}

async function waitForLine(child: ChildProcess, text: string, timeoutMs = 10_000): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`timed out waiting for '${text}': ${seen}`)), timeoutMs);
    const on = (d: Buffer) => {
      seen += d.toString();
      if (seen.includes(text)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', on);
    child.stderr?.on('data', on);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited (${code}) before '${text}': ${seen}`));
    });
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.removeAllListeners('exit');
    child.on('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

export async function makeKernelCaptures(dir: string): Promise<KernelCaptures> {
  mkdirSync(dir, { recursive: true });
  const notes: string[] = [];
  const pair: VethPair = createVethPair('tlfmt', { mtu: 1500 });
  const children: ChildProcess[] = [];
  try {
    const { a, b, ifA, ifB } = pair;
    for (const [ns, ifn] of [
      [a, ifA],
      [b, ifB],
    ] as const) {
      // No IPv6 chatter (router solicitations, MLD): the captures hold IPv4 and ARP only.
      tryRun(ns, 'sysctl', ['-q', '-w', 'net.ipv6.conf.all.disable_ipv6=1']);
      tryRun(ns, 'sysctl', ['-q', '-w', `net.ipv6.conf.${ifn}.disable_ipv6=1`]);
    }
    // b routes 192.0.2.128/25 back to a, so a's packets to it expire, get redirected, or need
    // fragmenting at a smaller route MTU; two more prefixes are unreachable / prohibited at b.
    b.run('sysctl', ['-q', '-w', 'net.ipv4.ip_forward=1']);
    b.run('ip', ['route', 'add', '192.0.2.128/26', 'via', '192.0.2.1']);
    tryRun(b, 'ip', ['route', 'add', '192.0.2.160/27', 'via', '192.0.2.1', 'mtu', 'lock', '1000']);
    b.run('ip', ['route', 'add', 'unreachable', '192.0.2.192/27']);
    b.run('ip', ['route', 'add', 'prohibit', '192.0.2.224/27']);
    a.run('ip', ['route', 'add', '192.0.2.128/25', 'via', '192.0.2.2']);

    const vlanA = `${ifA}.5`.slice(0, 15);
    const vlanB = `${ifB}.5`.slice(0, 15);
    let vlan = tryRun(a, 'ip', ['link', 'add', 'link', ifA, 'name', vlanA, 'type', 'vlan', 'id', '5']) !== null;
    if (vlan) {
      // veth lives in b's namespace; the VLAN device is made there.
      vlan = tryRun(b, 'ip', ['link', 'add', 'link', ifB, 'name', vlanB, 'type', 'vlan', 'id', '5']) !== null;
    }
    if (vlan) {
      a.run('ip', ['addr', 'add', '192.0.2.97/28', 'dev', vlanA]);
      b.run('ip', ['addr', 'add', '192.0.2.98/28', 'dev', vlanB]);
      a.run('ip', ['link', 'set', vlanA, 'up']);
      b.run('ip', ['link', 'set', vlanB, 'up']);
    } else notes.push('no 802.1Q (8021q not in this kernel)');

    const www = join(dir, 'www');
    mkdirSync(www, { recursive: true });
    writeFileSync(join(www, 'index.html'), '<html><body>tcplab</body></html>\n');
    writeFileSync(join(www, 'big.bin'), Buffer.alloc(5000, 'x'));

    // Servers in b.
    const http = b.spawn('python3', ['-m', 'http.server', '80', '--bind', '192.0.2.2', '--directory', www]);
    children.push(http);
    const echo = b.spawn('socat', ['TCP-LISTEN:7000,bind=192.0.2.2,reuseaddr', 'SYSTEM:cat']);
    children.push(echo);
    const dns = b.spawn('python3', [join(here, 'dns-responder.py'), '192.0.2.2']);
    children.push(dns);
    await Promise.all([waitForLine(http, 'Serving HTTP'), waitForLine(dns, 'ready')]);
    await sleep(100);

    a.run('ip', ['neigh', 'flush', 'all']);
    b.run('ip', ['neigh', 'flush', 'all']);

    const files = ['kernel.pcap', 'kernel-s60.pcap', 'kernel-s82.pcap', 'kernel-any.pcap', 'kernel-any-sll.pcap'].map((f) =>
      join(dir, f),
    );
    const stops = [
      // --immediate-mode: without it TPACKET_V3 holds the last second of packets in a block that
      // tcpdump never reads when it is stopped.
      await startTcpdump(a, ifA, files[0]!, ['--immediate-mode']),
      await startTcpdump(a, ifA, files[1]!, ['--immediate-mode', '-s', '60']),
      await startTcpdump(a, ifA, files[2]!, ['--immediate-mode', '-s', '82']),
      // Every interface of the namespace (Linux cooked v2 headers, loopback included).
      await startTcpdump(a, 'any', files[3]!, ['--immediate-mode']),
      await startTcpdump(a, 'any', files[4]!, ['--immediate-mode', '-y', 'LINUX_SLL']),
    ];
    try {
      const ping = (...args: string[]) => tryRun(a, 'ping', ['-n', '-q', '-W', '1', ...args]);
      ping('-c', '2', '-i', '0.2', '192.0.2.2');
      ping('-c', '1', '-s', '0', '192.0.2.2');
      ping('-c', '1', '-s', '1473', '192.0.2.2');
      ping('-c', '1', '-s', '3000', '192.0.2.2');
      ping('-c', '1', '-p', 'a5', '-s', '100', '-Q', '0x10', '192.0.2.2');
      if (vlan) ping('-c', '1', '192.0.2.98');
      // Routed through b: TTL expiry, redirect + forward, unreachable, prohibited, frag needed.
      ping('-c', '1', '-t', '1', '192.0.2.130');
      ping('-c', '1', '-t', '2', '192.0.2.131');
      ping('-c', '1', '192.0.2.200');
      ping('-c', '1', '192.0.2.230');
      ping('-c', '1', '-M', 'do', '-s', '1200', '192.0.2.170');

      // HTTP: a small page and a multi-segment body.
      tryRun(a, 'curl', ['-s', '-o', '/dev/null', 'http://192.0.2.2/index.html']);
      tryRun(a, 'curl', ['-s', '-o', '/dev/null', 'http://192.0.2.2/big.bin']);
      tryRun(a, 'curl', ['-s', '-o', '/dev/null', 'http://192.0.2.2/missing']);
      // TCP echo with data both ways and an orderly close.
      a.run('socat', ['-t', '1', '-', 'TCP:192.0.2.2:7000'], { input: 'hello tcplab\nsecond line\n', timeoutMs: 10_000 });
      // UDP echo and DNS.
      tryRun(a, 'python3', [join(here, 'dns-responder.py'), '192.0.2.1', 'client', '192.0.2.2']);
      // UDP to a closed port → ICMP port unreachable; TCP to a closed port → RST.
      a.run('sh', ['-c', 'printf "probe\\n" | socat -t 0.3 - UDP:192.0.2.2:9 || true']);
      a.run('sh', ['-c', 'socat -t 0.3 - TCP:192.0.2.2:9 </dev/null || true']);
      await sleep(300);
    } finally {
      for (const stop of stops) await stop();
    }
    return { dir, files, notes };
  } finally {
    for (const c of children) await stopChild(c);
    pair.destroy();
  }
}

// `npx tsx tests/format/fixtures.ts DIR` makes the captures by hand, to study tcpdump's output.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  makeKernelCaptures(process.argv[2] ?? '/tmp/tcplab-fmt').then(
    (r) => console.log(JSON.stringify(r)),
    (e) => {
      console.error(e);
      process.exit(1);
    },
  );
}
