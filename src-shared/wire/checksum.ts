/**
 * The Internet checksum (RFC 1071) and the TCP/UDP pseudo-header (RFC 9293 §3.1, RFC 768).
 * These are the only places in tcplab where these sums are computed.
 */

/**
 * Ones'-complement sum of `len` bytes from `off` (an odd last byte is padded with zero, RFC 1071
 * §4.1), added to `initial` (an unfolded partial sum such as `pseudoHeaderSum`), folded to 16 bits
 * and NOT complemented.
 */
export function onesComplementSum(bytes: Uint8Array, off: number, len: number, initial = 0): number {
  let sum = initial;
  if (len >= WASM_SUM_MIN && len <= WASM_SUM_MAX) {
    const w = wasmSum === undefined ? loadWasmSum() : wasmSum;
    if (w !== null) {
      sum += w.sum(bytes, off, len);
      while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
      return sum;
    }
  }
  return jsOnesComplementSum(bytes, off, len, sum);
}

/** The same sum in JavaScript only (the fallback where WebAssembly is not allowed; short runs). */
export function jsOnesComplementSum(bytes: Uint8Array, off: number, len: number, initial = 0): number {
  let sum = initial;
  const end = off + len;
  let i = off;
  // Long runs that start at an even address: sum whole 32-bit words in host order (one load per
  // 4 bytes instead of two per 2), then fold and byte-swap. The ones'-complement sum does not
  // depend on the byte order it is computed in except for a final swap (RFC 1071 §2 (B)), and
  // 32-bit words fold to the same 16-bit sum (RFC 1071 §2 (C), "parallel summation").
  if (len >= WORD_SUM_MIN && ((bytes.byteOffset + off) & 1) === 0) {
    // Network-order 16-bit words until the address is 4-byte aligned.
    if (((bytes.byteOffset + i) & 3) !== 0) {
      sum += (bytes[i]! << 8) | bytes[i + 1]!;
      i += 2;
    }
    const words = (end - i) >>> 2;
    const first = (bytes.byteOffset + i) >>> 2;
    const u32 = wordsOver(bytes.buffer, first + words);
    // A double holds 2^53: room for 2^21 words of 2^32 (8 MiB) before folding; fold per block.
    let host = 0;
    for (let w = first, last = first + words; w < last; ) {
      const blockEnd = Math.min(last, w + 0x100000);
      let block = 0;
      for (; w < blockEnd; w++) block += u32[w]!;
      host += (block % 0x10000) + Math.floor(block / 0x10000);
    }
    i += words << 2;
    while (host > 0xffff) host = (host & 0xffff) + Math.floor(host / 0x10000);
    sum += LITTLE_ENDIAN ? ((host & 0xff) << 8) | (host >>> 8) : host;
  }
  // Sum 16-bit words into a double; 2^53 leaves room for 2^37 words, so fold only at the end.
  for (; i + 1 < end; i += 2) sum += (bytes[i]! << 8) | bytes[i + 1]!;
  if (i < end) sum += bytes[i]! << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return sum;
}

// ---------------------------------------------------------------- WebAssembly sum
//
// The checksum was the largest single cost of a bulk TCP transfer (≈ 19 % of an in-memory run at
// MTU 1500: the sender sums each segment, the receiver verifies it). JavaScript cannot sum wider
// than the 32-bit words of a Uint32Array, one dependent double add each. A 30-instruction
// WebAssembly loop sums 64-bit words into two independent 64-bit accumulators (the low and high
// halves), ≈ 3× faster on a 1480-byte segment including the copy into its memory. The bytes are
// summed as little-endian words, which gives the byte-swapped sum (RFC 1071 §2 (B)), as the word
// path above does; the zero padding to 8 bytes adds nothing.

/** Below this length the JavaScript loop is as fast as copying the bytes into the module. */
const WASM_SUM_MIN = 128;
/** The module's memory is two 64 KiB pages; longer runs (never an IPv4 packet) take the JS path. */
const WASM_SUM_MAX = 2 * 65536 - 8;

interface WasmSum {
  sum(bytes: Uint8Array, off: number, len: number): number;
}

/** The part of the WebAssembly global used here (src-shared's compiler settings have no DOM or Node types). */
interface MinimalWebAssembly {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: object };
}

/** undefined: not tried yet; null: unavailable (no WebAssembly, or a CSP without 'wasm-unsafe-eval'). */
let wasmSum: WasmSum | null | undefined;

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return out;
}

/** The module, spelled out: `(func (export "sum") (param $n i32) (result i32) …)` and `(memory (export "mem") 2)`. */
function wasmSumModule(): Uint8Array {
  const LOCAL_GET = 0x20, LOCAL_SET = 0x21, I64_CONST = 0x42, I64_AND = 0x83, I64_SHR_U = 0x88, I64_ADD = 0x7c;
  const MASK32 = [I64_CONST, 0xff, 0xff, 0xff, 0xff, 0x0f]; // i64.const 0xffffffff (signed LEB128)
  // $lo = ($lo & 0xffffffff) + ($lo >> 32): folds a 64-bit ones'-complement sum towards 32 bits.
  const fold32 = [LOCAL_GET, 2, ...MASK32, I64_AND, LOCAL_GET, 2, I64_CONST, 32, I64_SHR_U, I64_ADD, LOCAL_SET, 2];
  const body = [
    2, 1, 0x7f, 3, 0x7e, // locals: $i i32; $lo, $hi, $x i64 (params first: $n is local 0)
    0x02, 0x40, 0x03, 0x40, // block, loop
    LOCAL_GET, 1, LOCAL_GET, 0, 0x4f, 0x0d, 1, //   br_if 1 ($i >= $n)
    LOCAL_GET, 1, 0x29, 3, 0, LOCAL_SET, 4, //   $x = i64.load($i)
    LOCAL_GET, 2, LOCAL_GET, 4, ...MASK32, I64_AND, I64_ADD, LOCAL_SET, 2, //   $lo += $x & 0xffffffff
    LOCAL_GET, 3, LOCAL_GET, 4, I64_CONST, 32, I64_SHR_U, I64_ADD, LOCAL_SET, 3, //   $hi += $x >> 32
    LOCAL_GET, 1, 0x41, 8, 0x6a, LOCAL_SET, 1, //   $i += 8
    0x0c, 0, 0x0b, 0x0b, // br 0, end loop, end block
    LOCAL_GET, 2, LOCAL_GET, 3, I64_ADD, LOCAL_SET, 2, // $lo += $hi (each < 2^45: no overflow)
    ...fold32, ...fold32, ...fold32, // < 2^33, <= 2^32, < 2^32
    LOCAL_GET, 2, 0xa7, 0x0b, // i32.wrap_i64, end
  ];
  const name = (s: string): number[] => [...uleb(s.length), ...Array.from(s, (c) => c.charCodeAt(0))];
  const section = (id: number, content: number[]): number[] => [id, ...uleb(content.length), ...content];
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // "\0asm", version 1
    ...section(1, [1, 0x60, 1, 0x7f, 1, 0x7f]), // type: (i32) -> i32
    ...section(3, [1, 0]), // function 0 has type 0
    ...section(5, [1, 0x00, 2]), // memory: 2 pages, no maximum
    ...section(7, [2, ...name('sum'), 0x00, 0, ...name('mem'), 0x02, 0]), // exports
    ...section(10, [1, ...uleb(body.length), ...body]), // code
  ]);
}

function loadWasmSum(): WasmSum | null {
  wasmSum = null;
  // Only under Node (the stack, the CLI, the session worker): in the renderer a Content-Security-
  // Policy without 'wasm-unsafe-eval' refuses the module (and logs the refusal), and the renderer
  // sums no long runs anyway. src-shared must not import Node, so this reads a global only.
  const g = globalThis as { process?: { versions?: { node?: string } }; WebAssembly?: MinimalWebAssembly };
  const wa = g.WebAssembly;
  if (g.process?.versions?.node === undefined || wa === undefined) return null;
  try {
    const instance = new wa.Instance(new wa.Module(wasmSumModule()));
    const exp = instance.exports as { sum: (n: number) => number; mem: { buffer: ArrayBuffer } };
    const mem = new Uint8Array(exp.mem.buffer);
    const run = exp.sum;
    wasmSum = {
      sum(bytes: Uint8Array, off: number, len: number): number {
        // A whole array (a received segment, a payload view) is copied without making a view of it.
        mem.set(off === 0 && len === bytes.length ? bytes : bytes.subarray(off, off + len), 0);
        const padded = (len + 7) & ~7;
        for (let i = len; i < padded; i++) mem[i] = 0;
        let host = run(padded) >>> 0;
        while (host > 0xffff) host = (host & 0xffff) + (host >>> 16);
        return ((host & 0xff) << 8) | (host >>> 8); // WebAssembly is little-endian: swap (RFC 1071 §2 (B))
      },
    };
  } catch {
    wasmSum = null;
  }
  return wasmSum;
}

/** Which implementation sums long runs here: 'wasm' or 'js' (for tests and benchmarks). */
export function checksumBackend(): 'wasm' | 'js' {
  return (wasmSum === undefined ? loadWasmSum() : wasmSum) !== null ? 'wasm' : 'js';
}

/**
 * A word view over a whole buffer, kept for the next call on the same buffer: frames come from
 * slabs and batch buffers, so consecutive sums mostly share one, and a new view per call cost
 * about as much as summing a small segment. Only buffers up to CACHED_VIEW_MAX_BYTES are kept, so
 * the cache pins at most that much memory.
 */
let cachedBuffer: ArrayBufferLike | null = null;
let cachedWords: Uint32Array<ArrayBufferLike> = new Uint32Array(0);
const CACHED_VIEW_MAX_BYTES = 4 << 20;

function wordsOver(buffer: ArrayBufferLike, wordsNeeded: number): Uint32Array<ArrayBufferLike> {
  // (A resizable buffer may have grown since the view was made: then make a new one.)
  if (buffer === cachedBuffer && cachedWords.length >= wordsNeeded) return cachedWords;
  const words = new Uint32Array(buffer, 0, buffer.byteLength >>> 2);
  if (buffer.byteLength <= CACHED_VIEW_MAX_BYTES) {
    cachedBuffer = buffer;
    cachedWords = words;
  }
  return words;
}

/** Below this many bytes the plain 16-bit loop is as fast as setting up a word view. */
const WORD_SUM_MIN = 64;
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * The Internet checksum: the complement of the ones'-complement sum. Over a header that already
 * holds its checksum this returns 0 when the checksum is right; over a header whose checksum field
 * is zero it returns the value to store.
 */
export function internetChecksum(bytes: Uint8Array, off: number, len: number, initial = 0): number {
  return ~onesComplementSum(bytes, off, len, initial) & 0xffff;
}

/** The unfolded sum of the IPv4 pseudo-header: source, destination, zero+protocol, length. */
export function pseudoHeaderSum(src: number, dst: number, proto: number, len: number): number {
  return (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + proto + len;
}

/**
 * What a sender stores in the checksum field when the device finishes the checksum (Linux's
 * CHECKSUM_PARTIAL, e.g. on lo and veth): the folded pseudo-header sum, not complemented. The
 * device adds the ones'-complement sum of the transport header and data and complements the
 * total — which gives the ordinary checksum (RFC 1071 §2 (B): the sum is associative). tcpdump
 * on lo prints such a field as "incorrect -> 0x…".
 */
export function partialChecksum(src: number, dst: number, proto: number, len: number): number {
  let s = pseudoHeaderSum(src, dst, proto, len);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return s;
}

/**
 * The value a checksum field should hold, given the folded ones'-complement sum over data that
 * includes the field's current value: take the field out (add its complement) and complement the
 * rest (RFC 1624 §3). For the "incorrect -> 0x…" that tcpdump -v prints.
 */
export function expectedChecksum(sumWithField: number, field: number): number {
  let s = sumWithField + (~field & 0xffff);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}
