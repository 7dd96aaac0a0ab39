/**
 * A promise's outcome, readable synchronously: tests that drive a ManualClock step by step check
 * `settled` between steps, then take the `result()` (the value, or the rejection rethrown).
 */
export interface Observed<T> {
  readonly settled: boolean;
  /** The value; rethrows the rejection; throws `${what}: not settled` if it has not settled. */
  result(what: string): T;
}

export function observe<T>(p: Promise<T>): Observed<T> {
  let settled = false;
  let failed = false;
  let value: T | undefined;
  let error: unknown;
  p.then(
    (v) => {
      settled = true;
      value = v;
    },
    (e: unknown) => {
      settled = true;
      failed = true;
      error = e;
    },
  );
  return {
    get settled() {
      return settled;
    },
    result(what: string): T {
      if (failed) throw error;
      if (!settled) throw new Error(`${what}: not settled`);
      return value as T;
    },
  };
}
