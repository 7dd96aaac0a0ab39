import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { missing, title } from '../support/requirements';
import { SessionRegistry } from '../../src-main/session/registry';
import { createSource } from '../../src-main/session/sources';
import { listInterfaces } from '../../src-main/capture/live';

/**
 * Live capture through libpcap on loopback, with traffic the test generates itself (ping to
 * 127.0.0.42) and a BPF filter that lets only that traffic through. Capturing needs CAP_NET_RAW.
 */
const why = missing('root', 'ping');

describe.skipIf(why !== null)(title(why, 'live capture on an interface'), () => {
  let registry: SessionRegistry;
  beforeAll(() => {
    registry = new SessionRegistry({ createSource });
  });
  afterAll(() => registry?.dispose());

  it('lists interfaces with their IPv4 addresses', () => {
    const lo = listInterfaces().find((i) => i.name === 'lo');
    expect(lo).toMatchObject({ loopback: true });
    expect(lo!.addresses).toContain('127.0.0.1');
  });

  it('refuses a bad BPF filter with libpcap’s own message', async () => {
    await expect(registry.open({ kind: 'interface', device: 'lo', filter: 'tcp port' })).rejects.toThrow(/capture filter: .*syntax error/);
  });

  it('refuses an interface that does not exist', async () => {
    await expect(registry.open({ kind: 'interface', device: 'nosuchif0' })).rejects.toThrow(/nosuchif0/);
  });

  it('captures generated traffic through a filter, pauses, resumes and reports libpcap counters', async () => {
    const info = await registry.open({ kind: 'interface', device: 'lo', filter: 'icmp and host 127.0.0.42' });
    const session = registry.get(info.id);
    const { execFileSync } = await import('node:child_process');
    execFileSync('ping', ['-c', '3', '-i', '0.2', '-W', '1', '127.0.0.42'], { stdio: 'ignore' });
    for (let i = 0; i < 100 && session.frames.length < 6; i++) await new Promise((r) => setTimeout(r, 50));
    expect(session.frames.length).toBe(6); // 3 requests + 3 replies, nothing else passed the filter
    expect(session.summaries.every((s) => s.protocol === 'ICMP')).toBe(true);
    registry.pause(info.id);
    expect(session.state).toBe('paused');
    registry.resume(info.id);
    expect(session.state).toBe('running');
    // pcap_stats arrive every half second; the first may predate the pings.
    for (let i = 0; i < 60 && !(session.captureStats && session.captureStats.received > 0); i++) await new Promise((r) => setTimeout(r, 50));
    expect(session.captureStats!.received).toBeGreaterThan(0);
    expect(session.captureStats!.dropped).toBe(0);
    registry.close(info.id);
  });

  it('refuses to pause what is not a live capture', async () => {
    const info = await registry.open({ kind: 'demo' });
    expect(() => registry.pause(info.id)).toThrow(/cannot pause: only a running live capture can/);
  });
});
