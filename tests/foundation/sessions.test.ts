import { afterEach, describe, expect, it } from 'vitest';
import type { EventName, EventPayloads } from '@shared/ipc/contract';
import { SessionRegistry } from '../../src-main/session/registry';
import { createSource } from '../../src-main/session/sources';

type Received = { [E in EventName]: { event: E; payload: EventPayloads[E] } }[EventName];

let registry: SessionRegistry | undefined;
afterEach(() => registry?.dispose());

function collect(reg: SessionRegistry, congested: () => boolean = () => false): Received[] {
  const got: Received[] = [];
  reg.subscribe({ emit: (event, payload) => got.push({ event, payload } as Received), isCongested: congested });
  return got;
}

async function until(pred: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('sessions', () => {
  it('stream the demo capture to a subscriber in coalesced batches, status first', async () => {
    registry = new SessionRegistry({ createSource, flushIntervalMs: 16 });
    const got = collect(registry);
    const info = await registry.open({ kind: 'demo' });
    await until(() => registry!.get(info.id).state === 'done');
    registry.flush();
    const batches = got.filter((g) => g.event === 'session.batch');
    const frames = batches.flatMap((b) => (b.event === 'session.batch' ? b.payload.frames : []));
    expect(frames.map((f) => f.no)).toEqual(Array.from({ length: 18 }, (_, i) => i + 1));
    expect(frames[2]).toMatchObject({ protocol: 'TCP', src: '192.0.2.2:51514', dst: '192.0.2.1:80', length: 74 });
    expect(got[0]!.event).toBe('session.status');
  });

  it('count what a congested subscriber could not take, and report it', async () => {
    registry = new SessionRegistry({ createSource, flushIntervalMs: 16, queueCapacity: 5 });
    let congested = true;
    const got = collect(registry, () => congested);
    const info = await registry.open({ kind: 'demo' });
    await until(() => registry!.get(info.id).state === 'done');
    congested = false;
    registry.flush();
    const batch = got.find((g) => g.event === 'session.batch');
    expect(batch?.event === 'session.batch' && batch.payload.frames.length).toBe(5);
    expect(batch?.event === 'session.batch' && batch.payload.dropped).toBe(13);
    expect(registry.list()[0]!.dropped).toBe(13);
    // What the live stream dropped is still in the session for paging.
    expect(registry.get(info.id).summaries).toHaveLength(18);
  });

  it('run a lab as a session: host A’s frames and both stacks’ probe events', async () => {
    registry = new SessionRegistry({ createSource });
    const info = await registry.open({ kind: 'lab', name: 'ip-fragmentation' });
    expect(info.kind).toBe('lab');
    await until(() => ['done', 'error'].includes(registry!.get(info.id).state));
    const session = registry.get(info.id);
    expect(session.error).toBeUndefined();
    expect(session.summaries.some((s) => s.protocol === 'ICMP')).toBe(true);
    expect(session.probes.length).toBeGreaterThan(0);
  });

  it('refuse a missing file at once, with no session made', async () => {
    registry = new SessionRegistry({ createSource });
    await expect(registry.open({ kind: 'file', path: '/nonexistent/capture.pcap' })).rejects.toThrow('cannot open /nonexistent/capture.pcap: no such file');
    expect(registry.list()).toEqual([]);
  });
});
