/**
 * Hand-built pcap / pcapng bytes for the capture tests, in either byte order, so the readers are
 * checked against the format documents rather than against tcplab's own writer.
 */
export type Order = 'little' | 'big';

export class Bytes {
  private out: number[] = [];
  constructor(readonly order: Order) {}
  u8(v: number): this {
    this.out.push(v & 0xff);
    return this;
  }
  u16(v: number): this {
    if (this.order === 'big') this.out.push((v >>> 8) & 0xff, v & 0xff);
    else this.out.push(v & 0xff, (v >>> 8) & 0xff);
    return this;
  }
  u32(v: number): this {
    const b = [(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
    this.out.push(...(this.order === 'big' ? b : b.reverse()));
    return this;
  }
  /** 64-bit value as two 32-bit halves in the section's byte order (pcapng §3). */
  u64(hi: number, lo: number): this {
    return this.order === 'big' ? this.u32(hi).u32(lo) : this.u32(lo).u32(hi);
  }
  raw(b: ArrayLike<number>): this {
    for (let i = 0; i < b.length; i++) this.out.push(b[i]!);
    return this;
  }
  pad4(): this {
    while (this.out.length % 4) this.out.push(0);
    return this;
  }
  get length(): number {
    return this.out.length;
  }
  bytes(): Uint8Array {
    return Uint8Array.from(this.out);
  }
}

const enc = new TextEncoder();

export interface Opt {
  code: number;
  value: Uint8Array | string;
}

export function optionsBytes(order: Order, opts: Opt[]): Uint8Array {
  if (opts.length === 0) return new Uint8Array(0);
  const b = new Bytes(order);
  for (const o of opts) {
    const v = typeof o.value === 'string' ? enc.encode(o.value) : o.value;
    b.u16(o.code).u16(v.length).raw(v).pad4();
  }
  b.u16(0).u16(0);
  return b.bytes();
}

/** A pcapng block: type, total length, body (padded to 4), total length. */
export function block(order: Order, type: number, body: Uint8Array): Uint8Array {
  const padded = (body.length + 3) & ~3;
  const len = 12 + padded;
  return new Bytes(order).u32(type).u32(len).raw(body).pad4().u32(len).bytes();
}

export function shb(order: Order, opts: Opt[] = []): Uint8Array {
  const body = new Bytes(order).u32(0x1a2b3c4d).u16(1).u16(0).u32(0xffffffff).u32(0xffffffff).raw(optionsBytes(order, opts));
  return block(order, 0x0a0d0d0a, body.bytes());
}

export function idb(order: Order, linkType: number, snaplen: number, opts: Opt[] = []): Uint8Array {
  const body = new Bytes(order).u16(linkType).u16(0).u32(snaplen).raw(optionsBytes(order, opts));
  return block(order, 1, body.bytes());
}

export function epb(order: Order, ifId: number, tsHi: number, tsLo: number, data: Uint8Array, orig = data.length, opts: Opt[] = []): Uint8Array {
  const body = new Bytes(order).u32(ifId).u32(tsHi).u32(tsLo).u32(data.length).u32(orig).raw(data).pad4().raw(optionsBytes(order, opts));
  return block(order, 6, body.bytes());
}

export function spb(order: Order, orig: number, data: Uint8Array): Uint8Array {
  return block(order, 3, new Bytes(order).u32(orig).raw(data).pad4().bytes());
}

export function opb(order: Order, ifId: number, drops: number, tsHi: number, tsLo: number, data: Uint8Array, opts: Opt[] = []): Uint8Array {
  const body = new Bytes(order).u16(ifId).u16(drops).u32(tsHi).u32(tsLo).u32(data.length).u32(data.length).raw(data).pad4().raw(optionsBytes(order, opts));
  return block(order, 2, body.bytes());
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const n = parts.reduce((a, p) => a + p.length, 0);
  const out = new Uint8Array(n);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

export function frame(len: number, seed = 0): Uint8Array {
  const b = new Uint8Array(len);
  for (let i = 0; i < len; i++) b[i] = (i * 31 + seed * 7 + 1) & 0xff;
  return b;
}

export function u8(hex: string): Uint8Array {
  const clean = hex.replace(/[^0-9a-f]/gi, '');
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(i * 2, i * 2 + 2), 16);
  return out;
}
