import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/**
 * What a test needs from the machine. `missing(...)` returns why it cannot run here, or null.
 * Use: `const why = missing('root', 'tcpdump'); describe.skipIf(why !== null)(title(why, '…'), …)`.
 * Under CI (CI=true) nothing may be skipped: a missing requirement throws, so it fails loudly.
 */
export type Requirement =
  | 'root'
  | 'netns'
  | 'tun'
  | 'tcpdump'
  | 'tshark'
  | 'chromium'
  | 'socat'
  | 'nc'
  | 'curl'
  | 'ping'
  | 'iptables'
  | 'tc'
  | 'setpriv';

const toolOf: Partial<Record<Requirement, string>> = {
  tcpdump: 'tcpdump',
  tshark: 'tshark',
  socat: 'socat',
  nc: 'nc',
  curl: 'curl',
  ping: 'ping',
  iptables: 'iptables',
  tc: 'tc',
  setpriv: 'setpriv',
  netns: 'ip',
};

function hasTool(tool: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const cache = new Map<Requirement, string | null>();

function check(req: Requirement): string | null {
  if (req === 'root') return process.getuid?.() === 0 ? null : 'needs root (network namespaces, TAP devices)';
  if (req === 'tun') return existsSync('/dev/net/tun') ? null : 'needs /dev/net/tun';
  if (req === 'chromium') return existsSync('/usr/bin/chromium') ? null : 'needs Debian chromium at /usr/bin/chromium';
  const tool = toolOf[req];
  if (tool && !hasTool(tool)) return `needs ${tool} (npm run setup:system installs it)`;
  if (req === 'netns') {
    if (process.getuid?.() !== 0) return 'needs root to create network namespaces';
  }
  return null;
}

export function missing(...reqs: Requirement[]): string | null {
  const reasons: string[] = [];
  for (const r of reqs) {
    if (!cache.has(r)) cache.set(r, check(r));
    const why = cache.get(r);
    if (why) reasons.push(why);
  }
  if (reasons.length === 0) return null;
  const why = reasons.join('; ');
  if (process.env.CI === 'true' || process.env.CI === '1') {
    throw new Error(`CI must run every test, but this one is missing a prerequisite: ${why}`);
  }
  return why;
}

/** A describe() title that says why it was skipped, so the report never skips silently. */
export function title(why: string | null, name: string): string {
  return why ? `${name} [skipped: ${why}]` : name;
}
