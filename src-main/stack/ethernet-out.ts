/**
 * The transmit path's Ethernet header from cached MAC bytes. The wire module's emitter takes MAC
 * strings and parses them (a regular expression per address); per packet that was the largest
 * single cost of sending, so the stack keeps each MAC as 6 bytes and writes the 14 bytes here.
 * Layout: IEEE 802.3 §3.2 (destination, source, EtherType).
 */
export function writeEthernetHeader(frame: Uint8Array, dst: Uint8Array | null, src: Uint8Array, etherType: number): void {
  // A null destination is filled in by ARP once resolved.
  if (dst) frame.set(dst, 0);
  frame.set(src, 6);
  frame[12] = etherType >>> 8;
  frame[13] = etherType & 0xff;
}
