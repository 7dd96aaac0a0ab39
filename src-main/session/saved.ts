/**
 * A session saved as pcapng with tcplab's stack state embedded, and read back.
 *
 * Layout (docs/export.md): the Section Header Block names tcplab; one Interface Description Block
 * per link type; every frame of the session as an Enhanced Packet Block, in order, so packet N of
 * the file is frame N of the session for every reader. Only AFTER the last packet come tcplab
 * custom blocks (PEN 32473, docs/capture-files.md): tshark lists a custom block as a record of
 * its own, and placing them at the end keeps tshark's frame.number equal to tcplab's for every
 * packet. tcpdump skips them.
 *
 *   kind 3  session: { version, label, kind, probeCount, lab? }   (lab: name, params, duration, capture host)
 *   kind 4  probe events, in chunks of PROBES_PER_BLOCK (the stacks' true states, cwnd, timers)
 *   kind 5  lab frames: every frame of the run in order (both hosts, tx and rx, with event ids and
 *           causes); a frame of the capture host points at its packet (`s`, 0-based), the other
 *           host's frames carry their bytes (base64) — what the ladder needs for slanted arrows.
 *
 * Reopened by FileSource: the probes go into the session; a lab run is rebuilt on demand by
 * `labRunOf(session)` from the lab frames and the session's own frames.
 */
import { statSync } from 'node:fs';
import { AtomicFileSink, MemorySink, PcapngWriter, type ByteSink } from '../capture';
import type { LabFrame, LabRun } from '../labs/types';
import {
  LAB_FRAMES_PER_BLOCK,
  PROBES_PER_BLOCK,
  SAVED_SESSION_VERSION,
  TCPLAB_KIND_LAB_FRAMES,
  TCPLAB_KIND_PROBES,
  TCPLAB_KIND_SESSION,
  type SavedSessionMeta,
  type SavedSessionState,
  type StoredLabFrame,
} from './saved-format';
import type { Session } from './session';
import { LabSource } from './sources/lab';
import { FileSource } from './sources/file';

/** The lab run behind a session: a live lab, or one restored from a saved session. */
export function labRunOf(session: Session): { run: LabRun; captureHost: string } | null {
  const source = session.source;
  if (source instanceof LabSource) return source.run ? { run: source.run, captureHost: source.captureHost } : null;
  if (source instanceof FileSource && source.saved?.meta.lab && source.saved.labFrames.length > 0) {
    return restoredRun(session, source.saved);
  }
  return null;
}

const restored = new WeakMap<Session, { run: LabRun; captureHost: string; frames: number; probes: number }>();

function restoredRun(session: Session, saved: SavedSessionState): { run: LabRun; captureHost: string } | null {
  const lab = saved.meta.lab!;
  const cached = restored.get(session);
  if (cached && cached.frames === session.frames.length && cached.probes === session.probes.length) return cached;
  const frames: LabFrame[] = [];
  for (const s of saved.labFrames) {
    let data: Uint8Array;
    if (s.s !== undefined) {
      const f = session.frames[s.s];
      if (!f) return null; // the packets are still being read
      data = f.data;
    } else data = new Uint8Array(Buffer.from(s.b ?? '', 'base64'));
    const lf: LabFrame = { t: s.t, host: s.h, iface: s.i, dir: s.d, data, eventId: s.e };
    if (s.c !== undefined) lf.causeId = s.c;
    if (s.o !== undefined) lf.origLength = s.o;
    frames.push(lf);
  }
  const run: LabRun = {
    lab: lab.name,
    params: lab.params,
    durationMs: lab.durationMs,
    frames,
    events: session.probes,
    series: {},
    results: {},
    checks: [],
  };
  const entry = { run, captureHost: lab.captureHost, frames: session.frames.length, probes: session.probes.length };
  restored.set(session, entry);
  return entry;
}

/** A frame's capture time as the pcapng writer wants it (ns resolution keeps µs exact). */
function timestampOf(tsUs: number): { tsSec: number; tsNsec: number } {
  const tsSec = Math.floor(tsUs / 1e6);
  return { tsSec, tsNsec: Math.round(tsUs - tsSec * 1e6) * 1000 };
}

/**
 * Writes the session (all its frames, its probes and, for a lab, the run's frames of both hosts)
 * to `sink` as pcapng. Returns the number of packets written.
 */
export function writeSessionPcapng(session: Session, sink: ByteSink): number {
  const lab = labRunOf(session);
  const linkTypes: number[] = [];
  for (const f of session.frames) if (!linkTypes.includes(f.linkType)) linkTypes.push(f.linkType);
  if (linkTypes.length === 0) linkTypes.push(1);
  const w = new PcapngWriter(sink, {
    comments: [`tcplab session: ${session.source.label}`],
    interfaces: linkTypes.map((linkType) => ({ linkType, tsResolution: 'ns' as const, snaplen: 0, ...(lab ? { name: `host ${lab.captureHost}` } : {}) })),
  });
  try {
    for (const f of session.frames) {
      w.write({ data: f.data, originalLength: f.originalLength, interfaceId: linkTypes.indexOf(f.linkType), ...timestampOf(f.tsUs) });
    }
    const meta: SavedSessionMeta = {
      version: SAVED_SESSION_VERSION,
      label: session.source.label,
      kind: session.kind,
      frameCount: session.frames.length,
      probeCount: session.probes.length,
    };
    let stored: StoredLabFrame[] = [];
    if (lab) {
      let s = 0;
      for (const f of lab.run.frames) {
        const x: StoredLabFrame = { t: f.t, h: f.host, i: f.iface, d: f.dir, e: f.eventId };
        if (f.causeId !== undefined) x.c = f.causeId;
        if (f.origLength !== undefined) x.o = f.origLength;
        if (f.host === lab.captureHost) x.s = s++;
        else x.b = Buffer.from(f.data.buffer, f.data.byteOffset, f.data.byteLength).toString('base64');
        stored.push(x);
      }
      meta.lab = { name: lab.run.lab, params: lab.run.params, durationMs: lab.run.durationMs, captureHost: lab.captureHost, frameCount: stored.length };
    }
    w.writeTcplabBlock(TCPLAB_KIND_SESSION, meta);
    for (let i = 0; i < session.probes.length; i += PROBES_PER_BLOCK) {
      w.writeTcplabBlock(TCPLAB_KIND_PROBES, session.probes.slice(i, i + PROBES_PER_BLOCK));
    }
    for (let i = 0; i < stored.length; i += LAB_FRAMES_PER_BLOCK) {
      w.writeTcplabBlock(TCPLAB_KIND_LAB_FRAMES, stored.slice(i, i + LAB_FRAMES_PER_BLOCK));
    }
    stored = [];
    w.close();
  } catch (err) {
    w.abort();
    throw err;
  }
  return session.frames.length;
}

/** Saves the session to `path` atomically (`<path>.partial`, renamed when complete). */
export function saveSession(session: Session, path: string): { path: string; frames: number; probes: number; bytes: number } {
  const sink = new AtomicFileSink(path);
  const frames = writeSessionPcapng(session, sink);
  return { path, frames, probes: session.probes.length, bytes: sizeOf(path) };
}

/** The saved session in memory (for a download). */
export function sessionPcapngBytes(session: Session): Uint8Array {
  const sink = new MemorySink();
  writeSessionPcapng(session, sink);
  return sink.bytes();
}

function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

