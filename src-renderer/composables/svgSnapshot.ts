/**
 * An SVG drawn in the page as a standalone file: a copy whose look comes from presentation
 * attributes (the page's stylesheet does not travel with a file), with a background and a size.
 * Presentation attributes, not `style`, so nothing here meets the CSP's style-src.
 */
const PROPERTIES = ['fill', 'stroke', 'stroke-width', 'stroke-dasharray', 'opacity', 'font-family', 'font-size', 'font-weight', 'font-style'] as const;
const SVG_NS = 'http://www.w3.org/2000/svg';

export function standaloneSvg(source: SVGSVGElement, background: string): string {
  const copy = source.cloneNode(true) as SVGSVGElement;
  const from = [source, ...source.querySelectorAll('*')];
  const to = [copy, ...copy.querySelectorAll('*')];
  for (let i = 0; i < from.length; i++) {
    const style = getComputedStyle(from[i]!);
    const el = to[i]!;
    for (const p of PROPERTIES) {
      const v = style.getPropertyValue(p);
      if (v) el.setAttribute(p, v);
    }
    // Vue's scoped-style markers mean nothing outside the page.
    for (const name of el.getAttributeNames()) if (name.startsWith('data-v-')) el.removeAttribute(name);
  }
  const box = source.viewBox.baseVal;
  copy.setAttribute('xmlns', SVG_NS);
  copy.setAttribute('width', String(box.width));
  copy.setAttribute('height', String(box.height));
  const bg = document.createElementNS(SVG_NS, 'rect');
  bg.setAttribute('x', String(box.x));
  bg.setAttribute('y', String(box.y));
  bg.setAttribute('width', String(box.width));
  bg.setAttribute('height', String(box.height));
  bg.setAttribute('fill', background);
  copy.insertBefore(bg, copy.firstChild);
  return `<?xml version="1.0" encoding="UTF-8"?>\n${new XMLSerializer().serializeToString(copy)}\n`;
}

/** One CSV cell (RFC 4180 quoting). */
export function csvCell(v: string | number | null | undefined): string {
  if (v === null || v === undefined) return '';
  const s = String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
