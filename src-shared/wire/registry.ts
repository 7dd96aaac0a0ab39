/**
 * Dispatch tables through which upper layers register into lower layers (issue 3, item 2).
 *
 * A lower layer never imports the one above it: Ethernet, SLL, NULL and RAW look the next protocol
 * up in `etherTypes`; IPv4 looks up `ipProtocols`; UDP and TCP look up `udpPorts`/`tcpPorts`.
 * Each protocol module registers its own layer decoder into the table of the layer below when it
 * is loaded (`decode.ts` imports them all), and anyone may register more (e.g. a lab protocol).
 *
 * A `LayerDecoder` fills in its part of the `DecodedPacket` and calls the next table. It must not
 * throw; it records what broke in `pkt.error` (first error wins) and returns.
 *   bytes   the captured frame
 *   offset  where this layer starts
 *   capEnd  where the captured bytes of this layer end (<= bytes.length)
 *   wireEnd where this layer ends on the wire, as the layers below say (may be > bytes.length
 *           when the capture was cut by the snap length; the gap is "truncated", not "malformed")
 */
import type { DecodedPacket } from './decode';

export type LayerDecoder = (pkt: DecodedPacket, bytes: Uint8Array, offset: number, capEnd: number, wireEnd: number) => void;

export class DecodeTable {
  private readonly small: (LayerDecoder | undefined)[] = [];
  private readonly large = new Map<number, LayerDecoder>();
  constructor(readonly name: string) {}

  register(key: number, decoder: LayerDecoder): void {
    if (key >= 0 && key < 256) this.small[key] = decoder;
    else this.large.set(key, decoder);
  }

  unregister(key: number): void {
    if (key >= 0 && key < 256) this.small[key] = undefined;
    else this.large.delete(key);
  }

  get(key: number): LayerDecoder | undefined {
    return key >= 0 && key < 256 ? this.small[key] : this.large.get(key);
  }

  keys(): number[] {
    const out: number[] = [];
    this.small.forEach((d, k) => d && out.push(k));
    for (const k of this.large.keys()) out.push(k);
    return out.sort((a, b) => a - b);
  }
}

/** Link-layer header type (pcap LINKTYPE_/DLT_ value) -> decoder of that link header. */
export const linkTypes = new DecodeTable('link type');
/** EtherType -> network-layer decoder. Used by Ethernet, 802.1Q, SLL/SLL2, NULL/LOOP and RAW. */
export const etherTypes = new DecodeTable('ethertype');
/** IPv4 protocol number -> transport decoder. */
export const ipProtocols = new DecodeTable('ip protocol');
/** UDP port (either side) -> application decoder. */
export const udpPorts = new DecodeTable('udp port');
/** TCP port (either side) -> application decoder. */
export const tcpPorts = new DecodeTable('tcp port');

/** Records the first error of a decode; later ones are consequences. */
export function recordError(pkt: DecodedPacket, err: import('./errors').WireError): void {
  if (pkt.error === undefined) pkt.error = err;
  if (err.kind === 'truncated') pkt.truncated = true;
}
