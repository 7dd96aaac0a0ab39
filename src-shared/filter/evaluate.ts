/**
 * Evaluates a parsed display filter against one frame's `FilterFrame`.
 *
 * Multi-valued fields (ip.addr, tcp.port, eth.addr) follow Wireshark ≥ 3.6: `==`, `<`, `>` …
 * match when ANY value does; `!=` is "all not equal", i.e. `!(field == value)`, so
 * `ip.addr != 192.0.2.1` hides every frame to or from that address. A comparison with an absent
 * field is false (and its negation true), as in Wireshark.
 */
import type { FilterFrame } from './fields';
import { parseFilter, type FilterNode } from './parse';

export function evaluate(node: FilterNode, f: FilterFrame): boolean {
  switch (node.kind) {
    case 'or':
      return evaluate(node.left, f) || evaluate(node.right, f);
    case 'and':
      return evaluate(node.left, f) && evaluate(node.right, f);
    case 'not':
      return !evaluate(node.operand, f);
    case 'exists':
      return node.field.get(f).length > 0;
    case 'compare': {
      const values = node.field.get(f);
      const want = node.value;
      if (node.op === '!=') return !values.some((v) => v === want);
      for (const v of values) {
        switch (node.op) {
          case '==':
            if (v === want) return true;
            break;
          case '>':
            if (v > want) return true;
            break;
          case '<':
            if (v < want) return true;
            break;
          case '>=':
            if (v >= want) return true;
            break;
          case '<=':
            if (v <= want) return true;
            break;
          case 'contains':
            if (String(v).toLowerCase().includes(String(want))) return true;
            break;
        }
      }
      return false;
    }
  }
}

/** Field names a filter reads (so a caller can skip work, e.g. decoding, the filter does not need). */
export function fieldsOf(node: FilterNode, out = new Set<string>()): Set<string> {
  if (node.kind === 'or' || node.kind === 'and') {
    fieldsOf(node.left, out);
    fieldsOf(node.right, out);
  } else if (node.kind === 'not') fieldsOf(node.operand, out);
  else out.add(node.field.name);
  return out;
}

export interface CompiledFilter {
  text: string;
  node: FilterNode;
  matches(f: FilterFrame): boolean;
}

/** Parses once; `matches` then runs per frame. Throws FilterError for a bad filter. */
export function compileFilter(text: string): CompiledFilter {
  const node = parseFilter(text);
  return { text, node, matches: (f) => evaluate(node, f) };
}
