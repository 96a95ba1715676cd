// Compose files as YAML: the core schema (YAML 1.2, so `on`/`yes` stay strings and "22:22" is not
// a sexagesimal number) with merge keys (`<<: *base`), the `!reset`/`!override` tags, and Go's
// reading of a leading-zero integer as octal (`mode: 0440`), as compose's yaml.v3 does.
import { Lexer, parseAllDocuments, type CollectionTag, type ScalarTag, type Tags } from 'yaml';
import { ComposeFileError } from '../errors.js';
import { OverrideTag, ResetTag } from './tags.js';

const goOctal: ScalarTag = {
  tag: 'tag:yaml.org,2002:int',
  default: true,
  test: /^0[0-7]+$/,
  resolve: (s) => parseInt(s, 8),
};

function wrapping(tag: string, Wrapper: typeof ResetTag | typeof OverrideTag): (ScalarTag | CollectionTag)[] {
  const resolve = (v: unknown) => new Wrapper(v && typeof v === 'object' && 'toJSON' in v ? (v as { toJSON(): unknown }).toJSON() : v);
  return [
    { tag, resolve: (s: string) => new Wrapper(s === '' ? null : s) } as ScalarTag,
    { tag, collection: 'map', resolve } as unknown as CollectionTag,
    { tag, collection: 'seq', resolve } as unknown as CollectionTag,
  ];
}

const customTags = (tags: Tags): Tags => [goOctal, ...tags, ...wrapping('!reset', ResetTag), ...wrapping('!override', OverrideTag)];

// The lexer's markers for structure it found; they stand for no text of the source.
const LEXER_MARKERS = new Set(['\x02', '\x18', '\x1f']);

/** Index of the quote closing the scalar opened at `start` (escapes: `\"` in double quotes, `''` in single). */
function closingQuote(text: string, start: number): number {
  const q = text[start];
  for (let i = start + 1; i < text.length; i++) {
    if (q === '"' && text[i] === '\\') i++;
    else if (text[i] === q) {
      if (q === "'" && text[i + 1] === "'") i++;
      else return i;
    }
  }
  return -1;
}

/**
 * compose's yaml.v3 reads a quoted scalar whose continuation lines are indented less than its
 * block (the Dev Containers CLI writes `entrypoint: ["/bin/sh", "-c", "echo ...\n` with the next
 * lines at column 0); the yaml library stops the scalar there ("Missing closing quote"). White
 * space at the start of a quoted scalar's continuation lines is not part of its value (line
 * folding drops it), so indenting them past the quote gives the same value in a form the library
 * takes. `cutAt`: where the library cut the scalar short. Undefined when no quoted scalar ends there.
 */
export function indentQuotedContinuation(text: string, cutAt: number): string | undefined {
  let offset = 0;
  for (const token of new Lexer().lex(text)) {
    if (LEXER_MARKERS.has(token)) continue;
    const start = offset;
    offset += token.length;
    if (offset < cutAt) continue;
    if (offset > cutAt || (token[0] !== '"' && token[0] !== "'")) return undefined;
    const close = closingQuote(text, start);
    if (close < 0) return undefined;
    const pad = ' '.repeat(start - text.lastIndexOf('\n', start));
    return text.slice(0, start) + text.slice(start, close).replace(/\n(?=[^\r\n])/g, `\n${pad}`) + text.slice(close);
  }
  return undefined;
}

function parseDocuments(text: string) {
  const docs = parseAllDocuments(text, { merge: true, customTags, uniqueKeys: true, prettyErrors: true });
  return Array.isArray(docs) ? docs : [docs];
}

/** Every document of the file, as plain values; YAML syntax errors name the file and line. */
export function parseComposeYaml(text: string, file: string): unknown[] {
  let list = parseDocuments(text);
  // One quoted scalar made whole per round (each adds only spaces, so line numbers stay true).
  for (let round = 0; round < 1000; round++) {
    const cut = list.flatMap((d) => d.errors).find((e) => e.code === 'MISSING_CHAR' && /closing .*quote/.test(e.message));
    const fixed = cut && indentQuotedContinuation(text, cut.pos[0]);
    if (!fixed) break;
    text = fixed;
    list = parseDocuments(text);
  }
  const out: unknown[] = [];
  for (const doc of list) {
    const err = doc.errors[0];
    if (err) {
      const line = err.linePos?.[0];
      const where = line ? `line ${line.line}, column ${line.col}` : '';
      throw new ComposeFileError(
        `yaml: ${where ? `${where}: ` : ''}${err.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '')} in ${file}`,
        { file },
        { cause: err },
      );
    }
    out.push(doc.toJS({ maxAliasCount: 10_000 }));
  }
  return out;
}
