// Per-instruction argument splitting, as BuildKit's line parsers do it before any variable
// expansion: JSON (exec) form, whitespace lists, key/value forms, HEALTHCHECK's type word.

export const reWhitespace = /[\t\v\f\r ]+/;
const isSpace = (c: string) => /^\s$/u.test(c);

export interface LineArgs {
  args: string[];
  json: boolean;
}

export class LineParseError extends Error {}

export const errNotStringArray = 'when using JSON array syntax, arrays must be comprised of strings only';

/** Words split on unquoted whitespace; quotes and escapes are kept (ProcessWord strips them later). */
export function parseWords(rest: string, esc: string): string[] {
  const words: string[] = [];
  let phase: 'spaces' | 'word' | 'quote' = 'spaces';
  let quote = '';
  let blankOK = false;
  let b = '';
  const chars = Array.from(rest);
  for (let pos = 0; pos <= chars.length; pos++) {
    const end = pos === chars.length;
    let ch = end ? '' : chars[pos]!;
    if (phase === 'spaces') {
      if (end) break;
      if (isSpace(ch)) continue;
      phase = 'word';
    }
    if (end) {
      if (blankOK || b.length) words.push(b);
      break;
    }
    if (phase === 'word') {
      if (isSpace(ch)) {
        phase = 'spaces';
        if (blankOK || b.length) words.push(b);
        b = '';
        blankOK = false;
        continue;
      }
      if (ch === "'" || ch === '"') {
        quote = ch;
        blankOK = true;
        phase = 'quote';
      }
      if (ch === esc) {
        if (pos + 1 === chars.length) continue; // escape at end of line is dropped
        b += ch;
        ch = chars[++pos]!;
      }
      b += ch;
      continue;
    }
    // in quote
    if (ch === quote) phase = 'word';
    if (ch === esc && quote !== "'") {
      if (pos + 1 === chars.length) {
        phase = 'word';
        continue;
      }
      b += ch;
      ch = chars[++pos]!;
    }
    b += ch;
  }
  return words;
}

/** ENV / LABEL: `KEY name value` (legacy) or `KEY a=b c=d`. Triples of key, value, separator. */
export function parseNameVal(rest: string, key: string, esc: string): string[] {
  const words = parseWords(rest, esc);
  if (words.length === 0) return [];
  if (!words[0]!.includes('=')) {
    const m = reWhitespace.exec(rest);
    if (!m) throw new LineParseError(`${key} must have two arguments`);
    return [rest.slice(0, m.index), rest.slice(m.index + m[0].length), ''];
  }
  const out: string[] = [];
  for (const w of words) {
    const i = w.indexOf('=');
    if (i < 0) throw new LineParseError(`Syntax error - can't find = in ${JSON.stringify(w)}. Must be of the form: name=value`);
    out.push(w.slice(0, i), w.slice(i + 1), '=');
  }
  return out;
}

export function parseStringsWhitespaceDelimited(rest: string): string[] {
  if (rest === '') return [];
  return rest.split(reWhitespace);
}

/** Parses a JSON array of strings; undefined when `rest` is not JSON at all. */
export function parseJson(rest: string): string[] | undefined {
  const t = rest.replace(/^\s+/u, '');
  if (!t.startsWith('[')) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(t);
  } catch {
    return undefined;
  }
  if (!Array.isArray(v)) return undefined;
  if (!v.every((x) => typeof x === 'string')) throw new LineParseError(errNotStringArray);
  return v as string[];
}

export function parseMaybeJson(rest: string): LineArgs {
  if (rest === '') return { args: [], json: false };
  const j = parseJson(rest);
  if (j) return { args: j, json: true };
  return { args: [rest], json: false };
}

export function parseMaybeJsonToList(rest: string): LineArgs {
  const j = parseJson(rest);
  if (j) return { args: j, json: true };
  return { args: parseStringsWhitespaceDelimited(rest), json: false };
}

export function parseHealthConfig(rest: string): LineArgs {
  let sep = 0;
  while (sep < rest.length && !isSpace(rest[sep]!)) sep++;
  let next = sep;
  while (next < rest.length && isSpace(rest[next]!)) next++;
  if (sep === 0) return { args: [], json: false };
  const cmd = parseMaybeJson(rest.slice(next));
  return { args: [rest.slice(0, sep), ...cmd.args], json: cmd.json };
}
