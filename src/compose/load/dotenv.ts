// Compose's env-file format (for `.env`, `--env-file`, `env_file:` and `include.env_file`), which
// is richer than docker's --env-file: `export ` prefixes, single quotes (literal), double quotes
// (escapes, may span lines), inline ` #` comments after unquoted values, and `${VAR}` substitution
// in unquoted and double-quoted values from the environment or earlier lines of the same file.
import { readFileSync } from 'node:fs';
import { errnoCode } from '../../lib/errors.js';
import { ComposeFileError } from '../errors.js';
import { substitute, TemplateError, type Lookup } from './interpolate.js';

const KEY = /^[A-Za-z_][A-Za-z0-9_.\-[\]]*$/;
// Double-quoted escapes: echo's (XSI) set plus \" and \$; any other backslash stays as written.
const ESCAPES: Record<string, string> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\', '"': '"' };

/** Parses env-file text; a bare `KEY` line takes `lookup(KEY)` and is dropped when that is unset. */
export function parseDotenv(text: string, lookup: Lookup, file = ''): Record<string, string> {
  const vars: Record<string, string> = {};
  const resolve: Lookup = (name) => lookup(name) ?? vars[name];
  const src = text.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
  let i = 0;
  let line = 1;
  const fail = (at: number, msg: string): never => {
    throw new ComposeFileError(`${file ? `${file}:${at}: ` : ''}${msg}`, { file });
  };
  while (i < src.length) {
    let end = src.indexOf('\n', i);
    if (end < 0) end = src.length;
    let raw = src.slice(i, end).trim();
    const startLine = line;
    i = end + 1;
    line++;
    if (!raw || raw.startsWith('#')) continue;
    if (/^export\s/.test(raw)) raw = raw.slice(7).trimStart();
    const sep = raw.search(/[=:]/);
    if (sep < 0) {
      if (!KEY.test(raw)) fail(startLine, `unexpected character in variable name ${JSON.stringify(raw)}`);
      const v = lookup(raw);
      if (v !== undefined) vars[raw] = v;
      continue;
    }
    const key = raw.slice(0, sep).trim();
    if (!KEY.test(key)) fail(startLine, `unexpected character in variable name ${JSON.stringify(key)}`);
    let rest = raw.slice(sep + 1).trimStart();
    const q = rest[0];
    if (q === "'" || q === '"') {
      // A quoted value may continue over the following lines up to its closing quote.
      let body = rest.slice(1);
      let close = findClose(body, q);
      while (close < 0) {
        if (i >= src.length) fail(startLine, `unterminated quoted value for ${key}`);
        let e2 = src.indexOf('\n', i);
        if (e2 < 0) e2 = src.length;
        body += '\n' + src.slice(i, e2);
        i = e2 + 1;
        line++;
        close = findClose(body, q);
      }
      const inner = body.slice(0, close);
      // Single quotes are literal but for an escaped single quote; text after the closing quote is ignored.
      if (q === "'") vars[key] = inner.replace(/\\'/g, "'");
      else vars[key] = expand(unescapeDouble(inner), resolve, file, startLine);
      continue;
    }
    const hash = rest.search(/\s#/);
    if (hash >= 0) rest = rest.slice(0, hash);
    vars[key] = expand(rest.trim(), resolve, file, startLine);
  }
  return vars;
}

function findClose(body: string, q: string): number {
  for (let j = 0; j < body.length; j++) {
    if (body[j] === '\\' && (q === '"' || body[j + 1] === "'")) j++;
    else if (body[j] === q) return j;
  }
  return -1;
}

function unescapeDouble(s: string): string {
  // `\$` must survive substitution as a literal dollar: it becomes `$$`. `\0NNN` is an octal byte.
  return s.replace(/\\(0[0-7]{1,3}|[\s\S])/g, (all, c: string) => {
    if (c === '$') return '$$';
    if (c.length > 1) return String.fromCharCode(parseInt(c, 8));
    return ESCAPES[c] ?? all;
  });
}

function expand(value: string, lookup: Lookup, file: string, line: number): string {
  try {
    return substitute(value, lookup);
  } catch (e) {
    if (e instanceof TemplateError) throw new ComposeFileError(`${file}:${line}: ${e.message}`, { file });
    throw e;
  }
}

function readEnvText(path: string, required: boolean): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    if (!required && errnoCode(e) === 'ENOENT') return undefined;
    throw new ComposeFileError(
      `env file ${path} not found: ${errnoCode(e) === 'ENOENT' ? 'no such file or directory' : (e as Error).message}`,
      { file: path },
      { cause: e },
    );
  }
}

/** Reads and parses one env file; `undefined` when it is missing and not required. */
export function readDotenv(path: string, lookup: Lookup, required = true): Record<string, string> | undefined {
  const text = readEnvText(path, required);
  return text === undefined ? undefined : parseDotenv(text, lookup, path);
}

/** `format: raw`: KEY=VALUE lines taken literally (no quotes, comments after values or substitution). */
export function readRawEnvFile(path: string, required = true): Record<string, string> | undefined {
  const text = readEnvText(path, required);
  if (text === undefined) return undefined;
  const vars: Record<string, string> = {};
  for (const line of text.replace(/^\uFEFF/, '').split(/\r?\n/)) {
    if (!line.trim() || line.trimStart().startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq > 0) vars[line.slice(0, eq).trim()] = line.slice(eq + 1);
  }
  return vars;
}
