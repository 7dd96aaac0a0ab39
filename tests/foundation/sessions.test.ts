import { afterEach, describe, expect, it } from 'vitest';
import type { EventName, EventPayloads } from '@shared/ipc/contract';
import { SessionRegistry } from '../../src-main/session/registry';
import { createSource } from '../../src-main/session/sources';
import { cachedSyntheticCapture } from '../../src-main/capture/synthetic';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

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

  it('read a large file in steps, every frame once and in order; a cut file delivers every whole frame, then its error', async () => {
    const { path } = cachedSyntheticCapture('pcap', 5_000);
    const dir = mkdtempSync(join(tmpdir(), 'tcplab-sessions-'));
    try {
      registry = new SessionRegistry({ createSource, flushIntervalMs: 16 });
      const got = collect(registry);
      const whole = await registry.open({ kind: 'file', path });
      await until(() => registry!.get(whole.id).state === 'done');
      registry.flush();
      const frames = got.flatMap((g) => (g.event === 'session.batch' && g.payload.sessionId === whole.id ? g.payload.frames : []));
      expect(frames.map((f) => f.no)).toEqual(Array.from({ length: 5_000 }, (_, i) => i + 1));
      expect(registry.get(whole.id).progress).toEqual({ done: statSync(path).size, total: statSync(path).size });

      // Cut inside frame 4001's record: 4000 frames, then the reader's error.
      const bytes = readFileSync(path);
      let offset = 24;
      let lastData = new Uint8Array(0);
      for (let i = 0; i < 4_000; i++) {
        const captured = bytes.readUInt32LE(offset + 8);
        lastData = new Uint8Array(bytes.subarray(offset + 16, offset + 16 + captured));
        offset += 16 + captured;
      }
      const cut = join(dir, 'cut.pcap');
      writeFileSync(cut, bytes.subarray(0, offset + 20));
      const partial = await registry.open({ kind: 'file', path: cut });
      await until(() => ['done', 'error'].includes(registry!.get(partial.id).state));
      const session = registry.get(partial.id);
      expect(session.state).toBe('error');
      expect(session.error).toMatch(/truncated|runs past|ends/i);
      expect(session.summaries).toHaveLength(4_000);
      expect(session.frames[3_999]!.data).toEqual(lastData);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuse a missing file at once, with no session made', async () => {
    registry = new SessionRegistry({ createSource });
    await expect(registry.open({ kind: 'file', path: '/nonexistent/capture.pcap' })).rejects.toThrow('cannot open /nonexistent/capture.pcap: no such file');
    expect(registry.list()).toEqual([]);
  });
});
