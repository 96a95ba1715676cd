// The builder's variable substitution, with the semantics of BuildKit's shell lexer: `$VAR`,
// `${VAR}`, `${VAR:-x}` `${VAR-x}` `${VAR:+x}` `${VAR+x}` `${VAR:?e}` `${VAR?e}`, `${VAR#p}`
// `${VAR%p}` (and `##`/`%%`), `${VAR/p/r}`, escapes, single and double quotes, and the word
// splitting done after substitution (ProcessWords). It is not a shell: nothing is executed.
import { goQuote } from './go-quote.js';

export type EnvLookup = (name: string) => string | undefined;

/** Lookup over a plain record or a Map (later layers win when several are given). */
export function envLookup(...layers: Array<Readonly<Record<string, string>> | ReadonlyMap<string, string> | undefined>): EnvLookup {
  return (name) => {
    for (let i = layers.length - 1; i >= 0; i--) {
      const l = layers[i];
      if (!l) continue;
      if (l instanceof Map) {
        if (l.has(name)) return l.get(name);
      } else if (Object.prototype.hasOwnProperty.call(l, name)) return (l as Record<string, string>)[name];
    }
    return undefined;
  };
}

export interface LexOptions {
  escapeToken?: string; // '\\' (default) or '`'
  rawQuotes?: boolean; // keep the quote characters in the result
  rawEscapes?: boolean; // keep the escape characters in the result
  skipProcessQuotes?: boolean; // treat quotes as ordinary characters
  skipUnsetEnv?: boolean; // leave references to unset variables as written
}

export interface ProcessResult {
  result: string;
  words: string[];
  matched: Set<string>;
  unmatched: Set<string>;
}

export class ShellLexError extends Error {}

const EOF = '';
const isSpace = (c: string) => /^\s$/u.test(c);
const isDigit = (c: string) => /^\p{Nd}$/u.test(c);
const isLetter = (c: string) => /^\p{L}$/u.test(c);

class Words {
  buf = '';
  words: string[] = [];
  inWord = false;
  addChar(ch: string): void {
    if (isSpace(ch) && this.inWord) {
      if (this.buf.length) {
        this.words.push(this.buf);
        this.buf = '';
        this.inWord = false;
      }
    } else if (!isSpace(ch)) this.addRaw(ch);
  }
  addRaw(s: string): void {
    this.buf += s;
    this.inWord = true;
  }
  addString(s: string): void {
    for (const ch of s) this.addChar(ch);
  }
  get(): string[] {
    if (this.buf.length) {
      this.words.push(this.buf);
      this.buf = '';
      this.inWord = false;
    }
    return this.words;
  }
}

class Scanner {
  private i = 0;
  constructor(private readonly chars: string[]) {}
  peek(): string {
    return this.i < this.chars.length ? this.chars[this.i]! : EOF;
  }
  next(): string {
    return this.i < this.chars.length ? this.chars[this.i++]! : EOF;
  }
}

class Word {
  readonly matched = new Set<string>();
  readonly unmatched = new Set<string>();
  private rawEscapes: boolean;
  private readonly sc: Scanner;
  constructor(
    private readonly o: Required<LexOptions>,
    private readonly env: EnvLookup,
    text: string,
  ) {
    this.sc = new Scanner(Array.from(text));
    this.rawEscapes = o.rawEscapes;
  }

  stopOn(stop: string, rawEscapes: boolean): { result: string; words: string[] } {
    const saved = this.rawEscapes;
    this.rawEscapes = rawEscapes;
    try {
      return this.stopOnInner(stop);
    } finally {
      this.rawEscapes = saved;
    }
  }

  private stopOnInner(stop: string): { result: string; words: string[] } {
    let result = '';
    const words = new Words();
    const sc = this.sc;
    while (sc.peek() !== EOF) {
      const ch = sc.peek();
      if (stop !== EOF && ch === stop) {
        sc.next();
        return { result, words: words.get() };
      }
      let special: (() => string) | undefined;
      if (ch === '$') special = () => this.dollar();
      else if (ch === '<') special = () => this.possibleHeredoc();
      else if (!this.o.skipProcessQuotes && ch === "'") special = () => this.singleQuote();
      else if (!this.o.skipProcessQuotes && ch === '"') special = () => this.doubleQuote();
      if (special) {
        const tmp = special();
        result += tmp;
        if (ch === '$') words.addString(tmp);
        else words.addRaw(tmp);
        continue;
      }
      let c = sc.next();
      if (c === this.o.escapeToken) {
        if (this.rawEscapes) {
          words.addRaw(c);
          result += c;
        }
        c = sc.next();
        if (c === EOF) break;
        words.addRaw(c);
      } else words.addChar(c);
      result += c;
    }
    if (stop !== EOF) throw new ShellLexError(`unexpected end of statement while looking for matching ${stop}`);
    return { result, words: words.get() };
  }

  private singleQuote(): string {
    let r = '';
    const open = this.sc.next();
    if (this.o.rawQuotes) r += open;
    for (;;) {
      const c = this.sc.next();
      if (c === EOF) throw new ShellLexError('unexpected end of statement while looking for matching single-quote');
      if (c === "'") {
        if (this.o.rawQuotes) r += c;
        return r;
      }
      r += c;
    }
  }

  private doubleQuote(): string {
    let r = '';
    const open = this.sc.next();
    if (this.o.rawQuotes) r += open;
    for (;;) {
      const p = this.sc.peek();
      if (p === EOF) throw new ShellLexError('unexpected end of statement while looking for matching double-quote');
      if (p === '"') {
        const c = this.sc.next();
        if (this.o.rawQuotes) r += c;
        return r;
      }
      if (p === '$') {
        r += this.dollar();
        continue;
      }
      let c = this.sc.next();
      if (c === this.o.escapeToken) {
        if (this.rawEscapes) r += c;
        const n = this.sc.peek();
        if (n === EOF) continue;
        if (n === '"' || n === '$' || n === this.o.escapeToken) c = this.sc.next();
      }
      r += c;
    }
  }

  private lookup(name: string): string | undefined {
    const v = this.env(name);
    if (v !== undefined) this.matched.add(name);
    else this.unmatched.add(name);
    return v;
  }

  private dollar(): string {
    const sc = this.sc;
    sc.next();
    if (sc.peek() !== '{') {
      const name = this.name();
      if (name === '') return '$';
      const v = this.lookup(name);
      if (v === undefined && this.o.skipUnsetEnv) return '$' + name;
      return v ?? '';
    }
    sc.next();
    const p = sc.peek();
    if (p === EOF) throw new ShellLexError("syntax error: missing '}'");
    if (p === '{' || p === '}' || p === ':') throw new ShellLexError('syntax error: bad substitution');
    const name = this.name();
    let ch = sc.next();
    if (ch === EOF) throw new ShellLexError("syntax error: missing '}'");
    let chs = ch;
    let nullIsUnset = false;
    if (ch === '}') {
      const v = this.lookup(name);
      if (v === undefined && this.o.skipUnsetEnv) return '${' + name + '}';
      return v ?? '';
    }
    if (ch === ':') {
      nullIsUnset = true;
      ch = sc.next();
      chs += ch;
    }
    if (ch === '+' || ch === '-' || ch === '?' || ch === '#' || ch === '%') {
      const raw = ch === '#' || ch === '%';
      if (nullIsUnset && raw) throw new ShellLexError(`unsupported modifier (${chs}) in substitution`);
      let word: string;
      try {
        word = this.stopOn('}', raw).result;
      } catch (e) {
        if (sc.peek() === EOF) throw new ShellLexError("syntax error: missing '}'");
        throw e;
      }
      const v = this.lookup(name);
      if (this.o.skipUnsetEnv && v === undefined) return '${' + name + chs + word + '}';
      const unsetish = v === undefined || (nullIsUnset && v === '');
      switch (ch) {
        case '-':
          return unsetish ? word : v!;
        case '+':
          return unsetish ? '' : word;
        case '?':
          if (v === undefined) throw new ShellLexError(`${name}: ${word || 'is not allowed to be unset'}`);
          if (nullIsUnset && v === '') throw new ShellLexError(`${name}: ${word || 'is not allowed to be empty'}`);
          return v;
        default: {
          let greedy = false;
          if (word.startsWith(ch)) {
            greedy = true;
            word = word.slice(1);
          }
          return ch === '%' ? trimSuffix(word, v ?? '', greedy) : trimPrefix(word, v ?? '', greedy);
        }
      }
    }
    if (ch === '/' && !nullIsUnset) {
      const all = sc.peek() === '/';
      if (all) sc.next();
      let pattern: string;
      let repl: string;
      try {
        pattern = this.stopOn('/', true).result;
      } catch (e) {
        if (sc.peek() === EOF) throw new ShellLexError("syntax error: missing '/' in ${}");
        throw e;
      }
      try {
        repl = this.stopOn('}', true).result;
      } catch (e) {
        if (sc.peek() === EOF) throw new ShellLexError("syntax error: missing '}'");
        throw e;
      }
      const v = this.lookup(name);
      if (this.o.skipUnsetEnv && v === undefined) return '${' + name + '/' + pattern + '/' + repl + '}';
      const re = shellPatternToRegex(pattern, true, false, all);
      return (v ?? '').replace(re, () => repl);
    }
    throw new ShellLexError(`unsupported modifier (${chs}) in substitution`);
  }

  private name(): string {
    const sc = this.sc;
    let name = '';
    while (sc.peek() !== EOF) {
      const ch = sc.peek();
      if (name === '' && isDigit(ch)) {
        while (sc.peek() !== EOF && isDigit(sc.peek())) name += sc.next();
        return name;
      }
      if (name === '' && '@*#?-$!0'.includes(ch)) return sc.next();
      if (!isLetter(ch) && !isDigit(ch) && ch !== '_') break;
      name += sc.next();
    }
    return name;
  }

  private possibleHeredoc(): string {
    this.sc.next();
    if (this.sc.peek() !== '<') return '<';
    this.sc.next();
    let space = '';
    while (this.sc.peek() === ' ' || this.sc.peek() === '\t' || this.sc.peek() === '\r') space += this.sc.next();
    return '<<' + space;
  }
}

// A shell wildcard (`?`, `*`, escapes; no bracket expressions) as a JS regex.
function shellPatternToRegex(pattern: string, greedy: boolean, anchored: boolean, global = false): RegExp {
  const chars = Array.from(pattern);
  let out = anchored ? '^' : '';
  for (let i = 0; i < chars.length; i++) {
    const t = chars[i]!;
    if (t === '*') out += greedy ? '[\\s\\S]*' : '[\\s\\S]*?';
    else if (t === '?') out += '[\\s\\S]';
    else if (t === '\\') {
      const n = chars[i + 1];
      if (n === '}' || n === '/') continue;
      if (n !== '*' && n !== '?' && n !== '\\') throw new ShellLexError(`invalid pattern (${pattern}) in substitution: invalid escape '\\${n ?? ''}'`);
      out += '\\' + n;
      i++;
    } else out += t.replace(/[[\]{}.+()|^$/-]/g, '\\$&');
  }
  return new RegExp(out, global ? 'gu' : 'u');
}

function trimPrefix(pattern: string, value: string, greedy: boolean): string {
  const m = shellPatternToRegex(pattern, greedy, true).exec(value);
  return m ? value.slice(m[0].length) : value;
}

function reversePattern(pattern: string): string {
  const r = Array.from(pattern);
  const out: string[] = new Array(r.length);
  const last = r.length - 1;
  for (let i = 0; i <= last; ) {
    if (r[i] === '\\' && i !== last) {
      out[last - i - 1] = '\\';
      out[last - i] = r[i + 1]!;
      i += 2;
    } else {
      out[last - i] = r[i]!;
      i++;
    }
  }
  return out.join('');
}

function trimSuffix(pattern: string, value: string, greedy: boolean): string {
  const rev = (s: string) => Array.from(s).reverse().join('');
  return rev(trimPrefix(reversePattern(pattern), rev(value), greedy));
}

export class ShellLex {
  private readonly o: Required<LexOptions>;
  constructor(options: LexOptions = {}) {
    this.o = {
      escapeToken: options.escapeToken ?? '\\',
      rawQuotes: options.rawQuotes ?? false,
      rawEscapes: options.rawEscapes ?? false,
      skipProcessQuotes: options.skipProcessQuotes ?? false,
      skipUnsetEnv: options.skipUnsetEnv ?? false,
    };
  }

  /** Substitutes variables and removes quotes/escapes, keeping the text as one word. */
  process(text: string, env: EnvLookup): ProcessResult {
    const w = new Word(this.o, env, text);
    try {
      const { result, words } = w.stopOn(EOF, this.o.rawEscapes);
      return { result, words, matched: w.matched, unmatched: w.unmatched };
    } catch (e) {
      if (e instanceof ShellLexError) throw new ShellLexError(`failed to process ${goQuote(text)}: ${e.message}`);
      throw e;
    }
  }

  processWord(text: string, env: EnvLookup): string {
    return this.process(text, env).result;
  }

  /** Substitutes, then splits into words on unquoted whitespace (values from variables split too). */
  processWords(text: string, env: EnvLookup): string[] {
    return this.process(text, env).words;
  }
}
