// Go's encoding/json text forms, for output that must match a Go tool byte for byte:
// json.Indent (re-indents a document token by token, keeping its key order, numbers and
// escapes; empty objects and arrays stay `{}` and `[]`) and json.MarshalIndent's HTML escaping
// of strings (<, >, & and U+2028/U+2029 as \u escapes).

const HTML_ESCAPES: Record<string, string> = { '<': '\\u003c', '>': '\\u003e', '&': '\\u0026', '\u2028': '\\u2028', '\u2029': '\\u2029' };

/**
 * json.Indent(dst, src, prefix, indent) of a valid JSON text; with `escapeHTML`, strings are
 * escaped as json.Marshal escapes them (what MarshalIndent prints for a Marshaler's output).
 */
export function goIndent(src: string, indent: string, o: { prefix?: string; escapeHTML?: boolean } = {}): string {
  const prefix = o.prefix ?? '';
  let out = '';
  let depth = 0;
  let needIndent = false; // just opened an object or array: a newline comes unless it closes at once
  const newline = () => '\n' + prefix + indent.repeat(depth);
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') continue;
    if (needIndent && c !== '}' && c !== ']') {
      needIndent = false;
      depth++;
      out += newline();
    }
    if (c === '"') {
      let j = i + 1;
      while (j < src.length && src[j] !== '"') j += src[j] === '\\' ? 2 : 1;
      const s = src.slice(i, j + 1);
      out += o.escapeHTML ? s.replace(/[<>&\u2028\u2029]/g, (ch) => HTML_ESCAPES[ch]!) : s;
      i = j;
    } else if (c === '{' || c === '[') {
      out += c;
      needIndent = true;
    } else if (c === ',') out += ',' + newline();
    else if (c === ':') out += ': ';
    else if (c === '}' || c === ']') {
      if (needIndent)
        needIndent = false; // `{}`, `[]`
      else {
        depth--;
        out += newline();
      }
      out += c;
    } else out += c;
  }
  return out;
}

/** A value whose JSON text is spliced in verbatim (Go's json.RawMessage / a Marshaler's bytes). */
export class RawJson {
  constructor(readonly text: string) {}
}

/** json.MarshalIndent(v, "", indent) of plain data (key order as given; RawJson spliced in). */
export function goMarshalIndent(v: unknown, indent: string): string {
  return goIndent(compact(v), indent, { escapeHTML: true });
}

function compact(v: unknown): string {
  if (v instanceof RawJson) return v.text;
  if (Array.isArray(v)) return `[${v.map(compact).join(',')}]`;
  if (v !== null && typeof v === 'object')
    return `{${Object.entries(v)
      .filter(([, x]) => x !== undefined)
      .map(([k, x]) => `${JSON.stringify(k)}:${compact(x)}`)
      .join(',')}}`;
  return JSON.stringify(v);
}
