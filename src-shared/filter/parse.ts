/**
 * A display filter in a subset of Wireshark's syntax (wireshark-filter(4)):
 *
 *   expr       := or
 *   or         := and { ('||' | 'or') and }
 *   and        := not { ('&&' | 'and') not }
 *   not        := ('!' | 'not') not | primary
 *   primary    := '(' expr ')' | field [ relop value ]
 *   relop      := '==' | 'eq' | '!=' | 'ne' | '>' | 'gt' | '<' | 'lt' | '>=' | 'ge' | '<=' | 'le' | 'contains'
 *   value      := number (decimal, 0x hex, a fraction for time fields) | IPv4 address | MAC | "string"
 *
 * A bare field tests presence (`tcp`, `tcp.analysis.retransmission`). Pure: no DOM, no Node.
 * Every error names the 1-based column where the problem starts.
 */
import { FIELDS, type FieldDef } from './fields';

export type RelOp = '==' | '!=' | '>' | '<' | '>=' | '<=' | 'contains';

export type FilterNode =
  | { kind: 'or'; left: FilterNode; right: FilterNode }
  | { kind: 'and'; left: FilterNode; right: FilterNode }
  | { kind: 'not'; operand: FilterNode }
  | { kind: 'exists'; field: FieldDef }
  | { kind: 'compare'; field: FieldDef; op: RelOp; value: number | string };

export class FilterError extends Error {
  override name = 'FilterError';
  constructor(
    /** 1-based column of the offending token. */
    readonly column: number,
    readonly detail: string,
  ) {
    super(`column ${column}: ${detail}`);
  }
}

type TokKind = 'word' | 'op' | 'lparen' | 'rparen' | 'string' | 'end';
interface Token {
  kind: TokKind;
  text: string;
  /** 0-based offset in the filter text. */
  at: number;
}

const WORD_OPS: Record<string, RelOp> = { eq: '==', ne: '!=', gt: '>', lt: '<', ge: '>=', le: '<=', contains: 'contains' };
const SYMBOL_OPS = ['==', '!=', '>=', '<=', '&&', '||', '>', '<', '!'];

function tokenize(text: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    if (c === '(') {
      out.push({ kind: 'lparen', text: c, at: i++ });
      continue;
    }
    if (c === ')') {
      out.push({ kind: 'rparen', text: c, at: i++ });
      continue;
    }
    if (c === '"') {
      const start = i++;
      let s = '';
      while (i < text.length && text[i] !== '"') {
        if (text[i] === '\\' && i + 1 < text.length) i++;
        s += text[i++];
      }
      if (i >= text.length) throw new FilterError(start + 1, 'unterminated string: missing closing "');
      i++;
      out.push({ kind: 'string', text: s, at: start });
      continue;
    }
    const sym = SYMBOL_OPS.find((op) => text.startsWith(op, i));
    if (sym) {
      out.push({ kind: 'op', text: sym, at: i });
      i += sym.length;
      continue;
    }
    if (c === '=') throw new FilterError(i + 1, 'a single "=" is not an operator; use "==" (or "eq")');
    if (c === '&' || c === '|') throw new FilterError(i + 1, `"${c}" alone is not an operator; use "${c}${c}"`);
    if (/[A-Za-z0-9_.:-]/.test(c)) {
      const start = i;
      while (i < text.length && /[A-Za-z0-9_.:-]/.test(text[i]!)) i++;
      out.push({ kind: 'word', text: text.slice(start, i), at: start });
      continue;
    }
    throw new FilterError(i + 1, `unexpected character "${c}"`);
  }
  out.push({ kind: 'end', text: '', at: text.length });
  return out;
}

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
const MAC = /^[0-9a-fA-F]{2}([:-])[0-9a-fA-F]{2}(\1[0-9a-fA-F]{2}){4}$/;

/** An IPv4 address as an unsigned 32-bit number, or null. */
export function parseIpv4(s: string): number | null {
  const m = IPV4.exec(s);
  if (!m) return null;
  let v = 0;
  for (let k = 1; k <= 4; k++) {
    const octet = Number(m[k]);
    if (octet > 255) return null;
    v = v * 256 + octet;
  }
  return v;
}

class Parser {
  private pos = 0;
  constructor(private readonly toks: Token[]) {}

  private peek(): Token {
    return this.toks[this.pos]!;
  }
  private next(): Token {
    return this.toks[this.pos++]!;
  }
  private isWord(t: Token, ...words: string[]): boolean {
    return t.kind === 'word' && words.includes(t.text.toLowerCase());
  }

  parse(): FilterNode {
    if (this.peek().kind === 'end') throw new FilterError(1, 'empty filter');
    const node = this.or();
    const t = this.peek();
    if (t.kind === 'rparen') throw new FilterError(t.at + 1, 'unmatched ")"');
    if (t.kind !== 'end') throw new FilterError(t.at + 1, `expected "&&", "||" or the end of the filter, found "${t.text}"`);
    return node;
  }

  private or(): FilterNode {
    let left = this.and();
    for (;;) {
      const t = this.peek();
      if ((t.kind === 'op' && t.text === '||') || this.isWord(t, 'or')) {
        this.next();
        left = { kind: 'or', left, right: this.and() };
      } else return left;
    }
  }

  private and(): FilterNode {
    let left = this.not();
    for (;;) {
      const t = this.peek();
      if ((t.kind === 'op' && t.text === '&&') || this.isWord(t, 'and')) {
        this.next();
        left = { kind: 'and', left, right: this.not() };
      } else return left;
    }
  }

  private not(): FilterNode {
    const t = this.peek();
    if ((t.kind === 'op' && t.text === '!') || this.isWord(t, 'not')) {
      this.next();
      return { kind: 'not', operand: this.not() };
    }
    return this.primary();
  }

  private primary(): FilterNode {
    const t = this.next();
    if (t.kind === 'lparen') {
      const inner = this.or();
      const close = this.next();
      if (close.kind !== 'rparen') throw new FilterError(close.at + 1, `expected ")" to close the "(" at column ${t.at + 1}, found ${close.kind === 'end' ? 'the end of the filter' : `"${close.text}"`}`);
      return inner;
    }
    if (t.kind === 'end') throw new FilterError(t.at + 1, 'expected a field name or "(", found the end of the filter');
    if (t.kind !== 'word') throw new FilterError(t.at + 1, `expected a field name or "(", found "${t.text}"`);
    const field = FIELDS.get(t.text.toLowerCase());
    if (!field) {
      if (/^[0-9]/.test(t.text)) throw new FilterError(t.at + 1, `expected a field name, found the value "${t.text}"`);
      throw new FilterError(t.at + 1, `unknown field "${t.text}"${suggest(t.text)}`);
    }
    const opTok = this.peek();
    let op: RelOp | undefined;
    if (opTok.kind === 'op' && ['==', '!=', '>', '<', '>=', '<='].includes(opTok.text)) op = opTok.text as RelOp;
    else if (opTok.kind === 'word' && WORD_OPS[opTok.text.toLowerCase()]) op = WORD_OPS[opTok.text.toLowerCase()];
    if (!op) {
      if ((opTok.kind === 'word' && !this.isWord(opTok, 'and', 'or')) || opTok.kind === 'string') throw new FilterError(opTok.at + 1, `expected an operator (==, !=, <, >, <=, >=, eq, contains …) after "${t.text}", found "${opTok.text}"`);
      return { kind: 'exists', field };
    }
    this.next();
    const valueTok = this.next();
    if (valueTok.kind !== 'word' && valueTok.kind !== 'string') {
      throw new FilterError(valueTok.at + 1, `expected a value after "${opTok.text}", found ${valueTok.kind === 'end' ? 'the end of the filter' : `"${valueTok.text}"`}`);
    }
    return { kind: 'compare', field, op, value: this.value(field, op, valueTok) };
  }

  private value(field: FieldDef, op: RelOp, tok: Token): number | string {
    const col = tok.at + 1;
    const text = tok.text;
    if (op === 'contains') {
      if (field.type !== 'string') throw new FilterError(col - 1 - (op.length - 1), `"contains" needs a text field; ${field.name} is ${field.type === 'ipv4' ? 'an IPv4 address' : 'a number'}`);
      return text.toLowerCase();
    }
    switch (field.type) {
      case 'ipv4': {
        const v = parseIpv4(text);
        if (v === null || tok.kind === 'string') throw new FilterError(col, `"${text}" is not an IPv4 address (expected a.b.c.d with each part 0–255) for ${field.name}`);
        return v;
      }
      case 'mac':
        if (!MAC.test(text)) throw new FilterError(col, `"${text}" is not a MAC address (expected xx:xx:xx:xx:xx:xx) for ${field.name}`);
        return text.toLowerCase().replaceAll('-', ':');
      case 'string':
        return tok.kind === 'string' ? text : text;
      case 'float': {
        const v = tok.kind === 'word' && /^\d+(\.\d+)?$/.test(text) ? Number(text) : NaN;
        if (Number.isNaN(v)) throw new FilterError(col, `"${text}" is not a number for ${field.name}`);
        return v;
      }
      default: {
        if (op !== '==' && op !== '!=' && field.type === 'bool') throw new FilterError(col, `${field.name} is a flag: compare it with == or != (0 or 1)`);
        let v = NaN;
        if (tok.kind === 'word') {
          if (/^0x[0-9a-fA-F]+$/.test(text)) v = parseInt(text.slice(2), 16);
          else if (/^\d+$/.test(text)) v = Number(text);
          else if (field.type === 'bool' && (text === 'true' || text === 'false')) v = text === 'true' ? 1 : 0;
        }
        if (Number.isNaN(v)) throw new FilterError(col, `"${text}" is not an unsigned integer for ${field.name}`);
        if (field.type === 'bool' && v !== 0 && v !== 1) throw new FilterError(col, `${field.name} is a flag: its value is 0 or 1, not ${text}`);
        if (field.max !== undefined && v > field.max) throw new FilterError(col, `${text} is out of range for ${field.name} (0–${field.max})`);
        return v;
      }
    }
  }
}

function suggest(name: string): string {
  const lower = name.toLowerCase();
  let best: string | null = null;
  for (const f of FIELDS.keys()) {
    if (f.endsWith(`.${lower}`) || (lower.length >= 3 && f.startsWith(lower))) {
      best = f;
      break;
    }
  }
  return best ? ` (did you mean "${best}"?)` : '';
}

/** Parses a display filter; throws FilterError (with a column) when it is not valid. */
export function parseFilter(text: string): FilterNode {
  return new Parser(tokenize(text)).parse();
}
