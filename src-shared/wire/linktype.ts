/**
 * Link-layer header types (the LINKTYPE_ values of pcap and pcapng, https://www.tcpdump.org/linktypes.html).
 * The link-type table itself is `linkTypes` in ./registry; link decoders register into it
 * (ethernet.ts, linklayers.ts).
 */
export { linkTypes } from './registry';

export const LINKTYPE_NULL = 0; // BSD loopback, 4-byte address family in the writer's byte order
export const LINKTYPE_ETHERNET = 1; // DLT_EN10MB
/** DLT_RAW as OpenBSD and some others number it; tcpdump maps both 12 and 14 to raw IP. */
export const LINKTYPE_RAW_12 = 12;
export const LINKTYPE_RAW_14 = 14;
export const LINKTYPE_RAW = 101; // raw IPv4/IPv6, version nibble decides
export const LINKTYPE_LOOP = 108; // OpenBSD loopback, address family in network byte order
export const LINKTYPE_LINUX_SLL = 113;
export const LINKTYPE_LINUX_SLL2 = 276;

/** Aliases by the DLT_ names people know from libpcap. */
export const DLT_NULL = LINKTYPE_NULL;
export const DLT_EN10MB = LINKTYPE_ETHERNET;
export const DLT_RAW = LINKTYPE_RAW;
export const DLT_LOOP = LINKTYPE_LOOP;
export const DLT_LINUX_SLL = LINKTYPE_LINUX_SLL;
export const DLT_LINUX_SLL2 = LINKTYPE_LINUX_SLL2;

const NAMES: Record<number, { name: string; description: string }> = {
  [LINKTYPE_NULL]: { name: 'NULL', description: 'BSD loopback' },
  [LINKTYPE_ETHERNET]: { name: 'EN10MB', description: 'Ethernet' },
  [LINKTYPE_RAW_12]: { name: 'RAW', description: 'Raw IP' },
  [LINKTYPE_RAW_14]: { name: 'RAW', description: 'Raw IP' },
  [LINKTYPE_RAW]: { name: 'RAW', description: 'Raw IP' },
  [LINKTYPE_LOOP]: { name: 'LOOP', description: 'OpenBSD loopback' },
  [LINKTYPE_LINUX_SLL]: { name: 'LINUX_SLL', description: 'Linux cooked v1' },
  [LINKTYPE_LINUX_SLL2]: { name: 'LINUX_SLL2', description: 'Linux cooked v2' },
};

/** 'EN10MB', 'LINUX_SLL2' … or undefined for a type tcplab does not know. */
export function linkTypeName(linkType: number): string | undefined {
  return NAMES[linkType]?.name;
}

/** 'Ethernet', 'Linux cooked v2' … (tcpdump's "link-type EN10MB (Ethernet)" uses both). */
export function linkTypeDescription(linkType: number): string | undefined {
  return NAMES[linkType]?.description;
}
