/**
 * A small runtime schema language for the IPC contract. Main validates every message it receives
 * against these schemas (design principle 9); the TypeScript types of request parameters are
 * inferred from the same schemas, so each request is declared exactly once.
 */
export class SchemaError extends Error {
  override name = 'SchemaError';
  constructor(
    readonly path: string,
    readonly expected: string,
    readonly found: string,
  ) {
    super(`${path || 'message'}: expected ${expected}, found ${found}`);
  }
}

export interface Schema<T> {
  readonly description: string;
  /** Returns the value typed, or throws SchemaError naming the path, the expectation and the value. */
  parse(value: unknown, path?: string): T;
}

export type Infer<S> = S extends Schema<infer T> ? T : never;

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `array(${value.length})`;
  if (typeof value === 'string') return value.length > 40 ? `string "${value.slice(0, 40)}…"` : `string "${value}"`;
  if (typeof value === 'number') return `number ${value}`;
  if (value instanceof Uint8Array) return `bytes(${value.length})`;
  return typeof value;
}

function schema<T>(description: string, parse: (value: unknown, path: string) => T): Schema<T> {
  return { description, parse: (value, path = '') => parse(value, path) };
}

export const s = {
  string(opts: { maxLength?: number; minLength?: number; pattern?: RegExp } = {}): Schema<string> {
    const max = opts.maxLength ?? 4096;
    const desc = `string of at most ${max} characters${opts.pattern ? ` matching ${opts.pattern}` : ''}`;
    return schema(desc, (v, p) => {
      if (typeof v !== 'string' || v.length > max || v.length < (opts.minLength ?? 0)) {
        throw new SchemaError(p, desc, describe(v));
      }
      if (opts.pattern && !opts.pattern.test(v)) throw new SchemaError(p, desc, describe(v));
      return v;
    });
  },
  number(opts: { min?: number; max?: number; integer?: boolean } = {}): Schema<number> {
    const min = opts.min ?? Number.NEGATIVE_INFINITY;
    const max = opts.max ?? Number.POSITIVE_INFINITY;
    const desc = `${opts.integer ? 'integer' : 'number'} in [${min}, ${max}]`;
    return schema(desc, (v, p) => {
      if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max || (opts.integer && !Number.isInteger(v))) {
        throw new SchemaError(p, desc, describe(v));
      }
      return v;
    });
  },
  int(min = 0, max = Number.MAX_SAFE_INTEGER): Schema<number> {
    return s.number({ min, max, integer: true });
  },
  boolean(): Schema<boolean> {
    return schema('boolean', (v, p) => {
      if (typeof v !== 'boolean') throw new SchemaError(p, 'boolean', describe(v));
      return v;
    });
  },
  literal<const L extends string | number | boolean>(literal: L): Schema<L> {
    const desc = JSON.stringify(literal);
    return schema(desc, (v, p) => {
      if (v !== literal) throw new SchemaError(p, desc, describe(v));
      return literal;
    });
  },
  enum<const L extends string>(values: readonly L[]): Schema<L> {
    const desc = `one of ${values.map((v) => JSON.stringify(v)).join(', ')}`;
    return schema(desc, (v, p) => {
      if (typeof v !== 'string' || !(values as readonly string[]).includes(v)) throw new SchemaError(p, desc, describe(v));
      return v as L;
    });
  },
  array<T>(item: Schema<T>, maxLength = 10_000): Schema<T[]> {
    const desc = `array of at most ${maxLength} × ${item.description}`;
    return schema(desc, (v, p) => {
      if (!Array.isArray(v) || v.length > maxLength) throw new SchemaError(p, desc, describe(v));
      return v.map((x, i) => item.parse(x, `${p}[${i}]`));
    });
  },
  optional<T>(inner: Schema<T>): Schema<T | undefined> {
    return schema(`${inner.description} (optional)`, (v, p) => (v === undefined ? undefined : inner.parse(v, p)));
  },
  bytes(maxLength: number): Schema<Uint8Array> {
    const desc = `bytes (at most ${maxLength})`;
    return schema(desc, (v, p) => {
      if (!(v instanceof Uint8Array) || v.length > maxLength) throw new SchemaError(p, desc, describe(v));
      return v;
    });
  },
  /** A plain object with exactly these keys (unknown keys are rejected: they are bugs or probes). */
  object<Shape extends Record<string, Schema<unknown>>>(shape: Shape): Schema<ObjectOf<Shape>> {
    const keys = Object.keys(shape);
    const desc = `object {${keys.join(', ')}}`;
    return schema(desc, (v, p) => {
      if (typeof v !== 'object' || v === null || Array.isArray(v) || v instanceof Uint8Array) {
        throw new SchemaError(p, desc, describe(v));
      }
      const rec = v as Record<string, unknown>;
      for (const k of Object.keys(rec)) {
        if (!(k in shape)) throw new SchemaError(p ? `${p}.${k}` : k, 'no such field', describe(rec[k]));
      }
      const out: Record<string, unknown> = {};
      for (const k of keys) {
        const parsed = shape[k]!.parse(rec[k], p ? `${p}.${k}` : k);
        if (parsed !== undefined) out[k] = parsed;
      }
      return out as ObjectOf<Shape>;
    });
  },
  /** A union discriminated by a string field. */
  tagged<const K extends string, const Variants extends Record<string, Schema<unknown>>>(
    key: K,
    variants: Variants,
  ): Schema<{ [V in keyof Variants]: Infer<Variants[V]> }[keyof Variants]> {
    const tags = Object.keys(variants);
    const desc = `object with ${key} one of ${tags.join(', ')}`;
    return schema(desc, (v, p) => {
      const tag = typeof v === 'object' && v !== null ? (v as Record<string, unknown>)[key] : undefined;
      if (typeof tag !== 'string' || !(tag in variants)) {
        throw new SchemaError(p ? `${p}.${key}` : key, `one of ${tags.join(', ')}`, describe(tag));
      }
      return variants[tag]!.parse(v, p) as { [V in keyof Variants]: Infer<Variants[V]> }[keyof Variants];
    });
  },
};

type OptionalKeys<Shape> = { [K in keyof Shape]: undefined extends Infer<Shape[K]> ? K : never }[keyof Shape];
type RequiredKeys<Shape> = Exclude<keyof Shape, OptionalKeys<Shape>>;
export type ObjectOf<Shape extends Record<string, Schema<unknown>>> = {
  [K in RequiredKeys<Shape>]: Infer<Shape[K]>;
} & { [K in OptionalKeys<Shape>]?: Infer<Shape[K]> };
