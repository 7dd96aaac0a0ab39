import { describe, expect, it } from 'vitest';
import { buildCorpus, runFuzz } from './fuzz-lib';
import { decodePacket } from '@shared/wire/decode';

describe('fuzz: mutated frames through decodePacket and the detail tree', () => {
  it('the corpus covers every protocol and link type, and decodes cleanly', () => {
    const corpus = buildCorpus();
    const seen = new Set<string>();
    for (const f of corpus) {
      const p = decodePacket(f.linkType, f.bytes);
      expect(p.error, f.name).toBeUndefined();
      for (const k of ['arp', 'ipv4', 'icmp', 'icmpQuoted', 'udp', 'tcp', 'dns', 'http', 'vlan'] as const) if (p[k]) seen.add(k);
      seen.add(p.link!.kind);
    }
    expect([...seen].sort()).toEqual(['arp', 'dns', 'ethernet', 'http', 'icmp', 'icmpQuoted', 'ipv4', 'null', 'raw', 'sll', 'sll2', 'tcp', 'udp', 'vlan']);
  });

  it('120k mutants: no exception escapes, snap cuts are never "malformed", tree ranges stay in the frame', () => {
    const s = runFuzz(0x7c91ab, 120_000, 1);
    expect(s.failures).toEqual([]);
    expect(s.frames).toBe(120_000);
    expect(s.trees).toBe(120_000);
    // the mutator really exercises all three outcomes
    expect(s.truncated).toBeGreaterThan(10_000);
    expect(s.malformed).toBeGreaterThan(10_000);
    expect(s.clean).toBeGreaterThan(1_000);
  });
});
