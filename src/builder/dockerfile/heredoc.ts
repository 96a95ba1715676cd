// Heredoc words on RUN/COPY/ADD lines (`<<EOF`, `<<-EOF`, `<<"EOF"`, `3<<EOF`). The delimiter
// word is lexed like a shell word; if any part of it was quoted the body is not expanded.
import type { Heredoc } from './ast.js';
import { ShellLex } from './shell-lex.js';

const reHeredoc = /^(\d*)<<(-?)\s*([^<]*)$/;
const noEnv = () => undefined;

/** The heredoc a single word declares, or undefined if the word is not a heredoc. */
export function parseHeredocWord(word: string): Omit<Heredoc, 'content'> | undefined {
  const m = reHeredoc.exec(word);
  if (!m) return undefined;
  const rest = m[3]!;
  if (rest === '') return undefined;
  const words = new ShellLex({ skipUnsetEnv: true }).processWords(rest, noEnv);
  if (words.length !== 1) return undefined;
  const raw = new ShellLex({ skipUnsetEnv: true, rawQuotes: true }).processWords(rest, noEnv);
  if (raw.length !== 1) throw new Error(`internal lexing of heredoc produced inconsistent results: ${rest}`);
  const quotes = (s: string) => (s.match(/['"]/g) ?? []).length;
  return {
    name: words[0]!,
    fileDescriptor: m[1] ? Number(m[1]) : 0,
    expand: quotes(words[0]!) === quotes(raw[0]!),
    chomp: m[2] === '-',
  };
}

/** All heredocs declared on a logical line, in order. */
export function heredocsFromLine(line: string): Array<Omit<Heredoc, 'content'>> {
  let words: string[];
  try {
    words = new ShellLex({ rawQuotes: true, rawEscapes: true, skipUnsetEnv: true }).processWords(line, noEnv);
  } catch {
    words = [];
  }
  const out: Array<Omit<Heredoc, 'content'>> = [];
  for (const w of words) {
    const h = parseHeredocWord(w);
    if (h) out.push(h);
  }
  return out;
}

/** `<<-` bodies lose the leading tabs of every line. */
export function chompHeredocContent(src: string): string {
  return src.replace(/^\t+/gm, '');
}
