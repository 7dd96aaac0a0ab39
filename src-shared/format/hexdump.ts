/**
 * tcpdump's hex dumps (`-x`/`-xx`: hex_print_with_offset; `-X`/`-XX`: hex_and_ascii_print),
 * byte for byte: a line per 16 bytes, `<indent>0x%04x: ` then ` %02x%02x` groups, and with ASCII
 * the hex column padded to 40 characters, two spaces, and `isgraph()` characters (others '.').
 */

const HEX2: string[] = [];
for (let i = 0; i < 256; i++) HEX2.push(i.toString(16).padStart(2, '0'));
const GRAPH: string[] = [];
for (let i = 0; i < 256; i++) GRAPH.push(i > 0x20 && i < 0x7f ? String.fromCharCode(i) : '.');
const OFFSETS: string[] = [];
const PAD: string[] = [];
for (let i = 0; i <= 40; i++) PAD.push(' '.repeat(i));

function offsetLabel(off: number): string {
  if (off < 65536) {
    const idx = off >> 4;
    let s = OFFSETS[idx];
    if (s === undefined) {
      s = `0x${off.toString(16).padStart(4, '0')}: `;
      OFFSETS[idx] = s;
    }
    return s;
  }
  return `0x${off.toString(16).padStart(4, '0')}: `;
}

/** `-x` style: hex only. */
export function hexDump(indent: string, bytes: Uint8Array, start: number, length: number): string {
  let out = '';
  const end = start + length;
  let i = start;
  let line = 0;
  for (; i + 1 < end; i += 2) {
    if ((line++ & 7) === 0) out += indent + offsetLabel(i - start);
    out += ' ' + HEX2[bytes[i]!]! + HEX2[bytes[i + 1]!]!;
  }
  if (i < end) {
    if ((line & 7) === 0) out += indent + offsetLabel(i - start);
    out += ' ' + HEX2[bytes[i]!]!;
  }
  return out;
}

/** `-X` style: hex and ASCII. */
export function hexAsciiDump(indent: string, bytes: Uint8Array, start: number, length: number): string {
  let out = '';
  const end = start + length;
  let pos = start;
  while (pos < end) {
    const n = end - pos >= 16 ? 16 : end - pos;
    let hex = '';
    let asc = '';
    let j = 0;
    for (; j + 1 < n; j += 2) {
      const a = bytes[pos + j]!;
      const b = bytes[pos + j + 1]!;
      hex += ' ' + HEX2[a]! + HEX2[b]!;
      asc += GRAPH[a]! + GRAPH[b]!;
    }
    if (j < n) {
      const a = bytes[pos + j]!;
      hex += ' ' + HEX2[a]!;
      asc += GRAPH[a]!;
    }
    out += indent + offsetLabel(pos - start) + hex + PAD[40 - hex.length]! + '  ' + asc;
    pos += n;
  }
  return out;
}
