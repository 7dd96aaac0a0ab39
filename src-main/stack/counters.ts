/**
 * Named counters for the whole stack (PyTCP style): traffic counters such as `ipv4.rx.packets`
 * and one drop counter per reason such as `ipv4.drop.bad-checksum`. Every drop also becomes a
 * probe event (layer, kind 'drop', data.reason; see Stack.drop), so the UI can show why a frame
 * disappeared.
 * docs/stack.md lists every name.
 */
export class Counters {
  private readonly values = new Map<string, number>();

  inc(name: string, n = 1): void {
    this.values.set(name, (this.values.get(name) ?? 0) + n);
  }

  get(name: string): number {
    return this.values.get(name) ?? 0;
  }

  /** All counters, sorted by name. */
  snapshot(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const k of [...this.values.keys()].sort()) out[k] = this.values.get(k)!;
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
