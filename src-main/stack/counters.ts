/**
 * Named counters for the whole stack (PyTCP style): traffic counters such as `ipv4.rx.packets`
 * and one drop counter per reason such as `ipv4.drop.bad-checksum`. Every drop also becomes a
 * probe event (layer, kind 'drop', data.reason; see Stack.drop), so the UI can show why a frame
 * disappeared.
 * docs/stack.md lists every name.
 */
/** A counter the hot path increments without a map lookup (`h.value++`). */
export interface CounterHandle {
  value: number;
}

export class Counters {
  private readonly values = new Map<string, CounterHandle>();

  /** The counter `name`, created at 0; keep it for per-packet increments. */
  handle(name: string): CounterHandle {
    let h = this.values.get(name);
    if (!h) {
      h = { value: 0 };
      this.values.set(name, h);
    }
    return h;
  }

  inc(name: string, n = 1): void {
    this.handle(name).value += n;
  }

  get(name: string): number {
    return this.values.get(name)?.value ?? 0;
  }

  /** All counters that are not zero, sorted by name. */
  snapshot(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const k of [...this.values.keys()].sort()) {
      const v = this.values.get(k)!.value;
      if (v !== 0) out[k] = v;
    }
    return out;
  }

  /** Only the drop counters (`<layer>.drop.<reason>`). */
  drops(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [k, v] of Object.entries(this.snapshot())) if (k.includes('.drop.')) out[k] = v;
    return out;
  }

  /** Prints `name value` lines, aligned. */
  format(): string {
    const snap = this.snapshot();
    const width = Math.max(0, ...Object.keys(snap).map((k) => k.length));
    return Object.entries(snap)
      .map(([k, v]) => `${k.padEnd(width)}  ${v}`)
      .join('\n');
  }
}
