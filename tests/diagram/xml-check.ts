/**
 * A small XML well-formedness check for the SVG exporter's tests (no XML parser is a dependency;
 * the e2e test parses the same output with Chromium's DOMParser too): one root element, every tag
 * closed in order, attributes quoted and unique, only the five predefined entities or numeric ones.
 * Returns null when well-formed, else what is wrong and where.
 */
export function xmlProblem(text: string): string | null {
  let i = 0;
  const stack: string[] = [];
  let roots = 0;
  const name = /^[A-Za-z_:][-A-Za-z0-9_:.]*/;
  const checkText = (s: string, at: number): string | null => {
    const bad = /&(?!(amp|lt|gt|quot|apos|#[0-9]+|#x[0-9a-fA-F]+);)/.exec(s);
    if (bad) return `bad entity at ${at + bad.index}`;
    if (s.includes('<')) return `'<' in text at ${at}`;
    return null;
  };
  if (text.startsWith('<?xml')) i = text.indexOf('?>') + 2;
  while (i < text.length) {
    const lt = text.indexOf('<', i);
    const chunk = lt < 0 ? text.slice(i) : text.slice(i, lt);
    if (stack.length === 0 && chunk.trim() !== '') return `text outside the root at ${i}`;
    const p = checkText(chunk, i);
    if (p) return p;
    if (lt < 0) break;
    const gt = text.indexOf('>', lt);
    if (gt < 0) return `unterminated tag at ${lt}`;
    const tag = text.slice(lt + 1, gt);
    i = gt + 1;
    if (tag.startsWith('!--')) {
      const end = text.indexOf('-->', lt);
      if (end < 0) return `unterminated comment at ${lt}`;
      i = end + 3;
      continue;
    }
    if (tag.startsWith('/')) {
      const n = tag.slice(1).trim();
      const open = stack.pop();
      if (open !== n) return `</${n}> at ${lt} closes <${open}>`;
      continue;
    }
    const selfClosing = tag.endsWith('/');
    const body = selfClosing ? tag.slice(0, -1) : tag;
    const m = name.exec(body);
    if (!m) return `bad tag name at ${lt}`;
    let rest = body.slice(m[0].length);
    const seen = new Set<string>();
    while (rest.trim() !== '') {
      const a = /^\s+([A-Za-z_:][-A-Za-z0-9_:.]*)="([^"<]*)"/.exec(rest);
      if (!a) return `bad attribute syntax in <${m[0]}> at ${lt}: ${rest.slice(0, 30)}`;
      if (seen.has(a[1]!)) return `duplicate attribute ${a[1]} at ${lt}`;
      seen.add(a[1]!);
      const p2 = checkText(a[2]!, lt);
      if (p2) return p2;
      rest = rest.slice(a[0].length);
    }
    if (stack.length === 0) roots++;
    if (roots > 1) return `second root element at ${lt}`;
    if (!selfClosing) stack.push(m[0]);
  }
  if (stack.length > 0) return `unclosed <${stack[stack.length - 1]}>`;
  return roots === 1 ? null : 'no root element';
}
