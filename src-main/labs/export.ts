/**
 * A lab run to files: pcap (what tcpdump on one host would have captured) and JSON (parameters,
 * results, checks, series and probe events).
 */
import { writeFileAtomic } from '../capture/atomic-file';
import { writePcapFile } from '../capture';
import type { LabRun } from './types';

/** Lab time 0 is 2024-01-01T00:00:00Z in exported captures (fixed, so files are reproducible). */
export const LAB_EPOCH_SEC = 1_704_067_200;
const LINKTYPE_ETHERNET = 1;

export function labPcapRecords(run: LabRun, host = 'A') {
  return run.frames
    .filter((f) => f.host === host)
    .map((f) => {
      const totalNs = Math.round(f.t * 1e6);
      return { data: f.data, originalLength: f.origLength, tsSec: LAB_EPOCH_SEC + Math.floor(totalNs / 1e9), tsNsec: totalNs % 1e9 };
    });
}

export function writeLabPcap(path: string, run: LabRun, host = 'A'): number {
  const records = labPcapRecords(run, host);
  writePcapFile(path, records, { linkType: LINKTYPE_ETHERNET, resolution: 'us' });
  return records.length;
}

/** The JSON document of a run: everything but frame bytes (frames are listed by time, host and size). */
export function labRunJson(run: LabRun): unknown {
  return {
    lab: run.lab,
    params: run.params,
    durationMs: run.durationMs,
    results: run.results,
    checks: run.checks,
    series: run.series,
    frames: run.frames.map((f) => ({ t: f.t, host: f.host, iface: f.iface, dir: f.dir, bytes: f.origLength ?? f.data.length, eventId: f.eventId, causeId: f.causeId ?? null })),
    events: run.events,
  };
}

/** Writes JSON atomically (via `<path>.partial`). */
export function writeLabJson(path: string, run: LabRun): void {
  writeFileAtomic(path, JSON.stringify(labRunJson(run)) + '\n');
}
