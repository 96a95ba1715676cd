// Splits a logical line into instruction word, leading `--flag` words and the rest.
import { reWhitespace } from './line-parsers.js';

const isSpace = (c: string) => /^\s$/u.test(c);

export interface SplitLine {
  cmd: string;
  flags: string[];
  rest: string;
}

export function splitCommand(line: string, esc: string): SplitLine {
  const t = line.trim();
  const m = reWhitespace.exec(t);
  if (!m) return { cmd: t, flags: [], rest: '' };
  const { rest, flags } = extractBuilderFlags(t.slice(m.index + m[0].length), esc);
  return { cmd: t.slice(0, m.index), flags, rest: rest.trim() };
}

/** Leading words that start with `--` (quotes and escapes resolved); `--` alone ends them. */
export function extractBuilderFlags(line: string, esc: string): { rest: string; flags: string[] } {
  const words: string[] = [];
  let phase: 'spaces' | 'word' | 'quote' = 'spaces';
  let b = '';
  let quote = '';
  let blankOK = false;
  for (let pos = 0; pos <= line.length; pos++) {
    const end = pos === line.length;
    let ch = end ? '' : line[pos]!;
    if (phase === 'spaces') {
      if (end) break;
      if (isSpace(ch)) continue;
      if (ch !== '-' || pos + 1 === line.length || line[pos + 1] !== '-') return { rest: line.slice(pos), flags: words };
      phase = 'word';
    }
    if (end) {
      if (b !== '--' && (blankOK || b.length)) words.push(b);
      break;
    }
    if (phase === 'word') {
      if (isSpace(ch)) {
        phase = 'spaces';
        if (b === '--') return { rest: line.slice(pos), flags: words };
        if (blankOK || b.length) words.push(b);
        b = '';
        blankOK = false;
        continue;
      }
      if (ch === "'" || ch === '"') {
        quote = ch;
        blankOK = true;
        phase = 'quote';
        continue;
      }
      if (ch === esc) {
        if (pos + 1 === line.length) continue;
        ch = line[++pos]!;
      }
      b += ch;
      continue;
    }
    if (ch === quote) {
      phase = 'word';
      continue;
    }
    if (ch === esc) {
      if (pos + 1 === line.length) {
        phase = 'word';
        continue;
      }
      ch = line[++pos]!;
    }
    b += ch;
  }
  return { rest: '', flags: words };
}
