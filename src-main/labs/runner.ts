import { BASE_PARAMS, type LabModule, type LabParams, type LabRun } from './types';

/** The lab's parameters: BASE_PARAMS, then the lab's defaults, then the caller's overrides. */
export function labParams(lab: LabModule, overrides: Partial<LabParams> = {}): LabParams {
  const p: LabParams = { ...BASE_PARAMS, ...lab.defaults };
  for (const [k, v] of Object.entries(overrides) as [keyof LabParams, unknown][]) {
    if (v === undefined) continue;
    if (k === 'isn' || k === 'mss' || k === 'rcvbuf') {
      const pair = v as [number | null, number | null];
      const base = p[k];
      (p[k] as [number | null, number | null]) = [pair[0] ?? base[0], pair[1] ?? base[1]];
    } else (p as unknown as Record<string, unknown>)[k] = v;
  }
  validateParams(p);
  return p;
}

export function validateParams(p: LabParams): void {
  if (!(p.loss >= 0 && p.loss < 1)) throw new RangeError(`loss: expected a probability in [0, 1), found ${p.loss}`);
  if (!(p.delayMs >= 0 && Number.isFinite(p.delayMs))) throw new RangeError(`delay: expected milliseconds >= 0, found ${p.delayMs}`);
  if (!(p.rateMbps >= 0 && Number.isFinite(p.rateMbps))) throw new RangeError(`rate: expected Mbit/s >= 0, found ${p.rateMbps}`);
  if (!Number.isInteger(p.seed)) throw new RangeError(`seed: expected an integer, found ${p.seed}`);
  for (const [i, v] of p.isn.entries()) {
    if (v !== null && !(Number.isInteger(v) && v >= 0 && v <= 0xffffffff)) throw new RangeError(`isn[${i}]: expected 0..4294967295, found ${v}`);
  }
  for (const [i, v] of p.mss.entries()) {
    if (v !== null && !(Number.isInteger(v) && v >= 88 && v <= 65495)) throw new RangeError(`mss[${i}]: expected 88..65495, found ${v}`);
  }
  for (const [i, v] of p.rcvbuf.entries()) {
    if (v !== null && !(Number.isInteger(v) && v >= 256 && v <= 1 << 30)) throw new RangeError(`rcvbuf[${i}]: expected 256..2^30 bytes, found ${v}`);
  }
}

/** Runs a lab and evaluates its expectations. */
export async function runLab(lab: LabModule, overrides: Partial<LabParams> = {}): Promise<LabRun> {
  const params = labParams(lab, overrides);
  const partial = await lab.run(params);
  const run: LabRun = { ...partial, checks: [] };
  for (const e of lab.expectations) {
    let r: { ok: boolean; detail: string };
    try {
      r = e.check(run);
    } catch (err) {
      r = { ok: false, detail: `check threw: ${(err as Error).message}` };
    }
    run.checks.push({ id: e.id, text: e.text, ok: r.ok, detail: r.detail });
  }
  return run;
}
