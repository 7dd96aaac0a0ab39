import { Netns, sh, uniqueSuffix } from '../support/netns';
import { KERNEL_ADDR } from '../support/tap';

/**
 * The kernel's side of a TAP that tcplab's stack already holds: the TAP is moved into a fresh
 * namespace (the stack's fd keeps working, see tests/support/tap.ts) and gets 192.0.2.1/24 with
 * IPv6 off, so only the test's own traffic is on the wire. The stack goes on 192.0.2.2.
 */
export interface KernelSide {
  ns: Netns;
  ifname: string;
  kernelAddr: string;
  destroy(): void;
}

/** A TAP name that is unique per run (IFNAMSIZ: at most 15 characters). */
export function tapName(prefix: string): string {
  return `${prefix.slice(0, 6)}${uniqueSuffix()}`.slice(0, 15);
}

export function moveTapIntoNetns(ifname: string, prefix: string): KernelSide {
  const ns = Netns.create(prefix);
  try {
    sh('ip', ['link', 'set', ifname, 'netns', ns.name]);
    ns.run('sysctl', ['-q', '-w', `net.ipv6.conf.${ifname}.disable_ipv6=1`]);
    ns.run('ip', ['addr', 'add', `${KERNEL_ADDR}/24`, 'dev', ifname]);
    ns.run('ip', ['link', 'set', ifname, 'up']);
  } catch (err) {
    ns.destroy();
    throw err;
  }
  return {
    ns,
    ifname,
    kernelAddr: KERNEL_ADDR,
    destroy() {
      // A persistent TAP moved into the namespace is removed with it; a leftover in the root
      // namespace (the move failed) is removed here.
      ns.destroy();
      try {
        sh('ip', ['link', 'del', ifname]);
      } catch {
        // already gone
      }
    },
  };
}
