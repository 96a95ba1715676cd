// Variable substitution in compose files, as compose-go's template package: `$$` escapes, `$VAR`,
// `${VAR}` and the modifiers `:-` `-` `:?` `?` `:+` `+`, whose words may nest further
// substitutions (`${A:-${B:-c}}`). A word is expanded only when its branch is taken, so
// `${A:-${B:?unset}}` fails only when A is empty too. Only values are substituted, never keys.
import { ComposeFileError } from '../errors.js';
import { OverrideTag, ResetTag, isMap } from './tags.js';

export type Lookup = (name: string) => string | undefined;

/** Thrown by `substitute`; the tree walker adds the file and path. */
export class TemplateError extends Error {}

const NAME_START = /[A-Za-z_]/;
const NAME_CHAR = /[A-Za-z0-9_]/;

export function substitute(template: string, lookup: Lookup): string {
  if (!template.includes('$')) return template;
  let out = '';
  let i = 0;
  while (i < template.length) {
    const c = template[i]!;
    if (c !== '$') {
      out += c;
      i++;
      continue;
    }
    const next = template[i + 1];
    if (next === '$') {
      out += '$';
      i += 2;
    } else if (next === '{') {
      const end = closingBrace(template, i + 2);
      if (end < 0) throw new TemplateError(`Invalid template: ${JSON.stringify(template)}`);
      out += braced(template.slice(i + 2, end), template, lookup);
      i = end + 1;
    } else if (next !== undefined && NAME_START.test(next)) {
      let j = i + 1;
      while (j < template.length && NAME_CHAR.test(template[j]!)) j++;
      out += lookup(template.slice(i + 1, j)) ?? '';
      i = j;
    } else {
      // A `$` not starting a name or `${` is a plain dollar ("^REGEX$", "a $ string").
      out += '$';
      i++;
    }
  }
  return out;
}

/** Index of the `}` closing a `${` whose body starts at `from`; braces inside nest (`${X:-{"a":1}}`). */
function closingBrace(s: string, from: number): number {
  let depth = 0;
  for (let i = from; i < s.length; i++) {
    if (s[i] === '$' && s[i + 1] === '$') i++;
    else if (s[i] === '{') depth++;
    else if (s[i] === '}') {
      if (depth === 0) return i;
      depth--;
    }
  }
  return -1;
}

function braced(body: string, template: string, lookup: Lookup): string {
  let n = 0;
  while (n < body.length && (n === 0 ? NAME_START : NAME_CHAR).test(body[n]!)) n++;
  const name = body.slice(0, n);
  if (!name) throw new TemplateError(`Invalid template: ${JSON.stringify(template)}`);
  const rest = body.slice(n);
  const value = lookup(name);
  if (rest === '') return value ?? '';
  const colon = rest.startsWith(':');
  const op = rest[colon ? 1 : 0];
  const word = rest.slice(colon ? 2 : 1);
  // With the colon an empty value counts as unset.
  const missing = value === undefined || (colon && value === '');
  switch (op) {
    case '-':
      return missing ? substitute(word, lookup) : value!;
    case '+':
      return missing ? '' : substitute(word, lookup);
    case '?':
      if (missing) {
        const msg = substitute(word, lookup);
        throw new TemplateError(`required variable ${name} is missing a value${msg ? `: ${msg}` : ''}`);
      }
      return value!;
    default:
      throw new TemplateError(`Invalid template: ${JSON.stringify(template)}`);
  }
}

/** Substitutes every string value of a parsed compose file (keys untouched). */
export function interpolateTree(value: unknown, lookup: Lookup, file: string, path: string[] = []): unknown {
  if (typeof value === 'string') {
    try {
      return substitute(value, lookup);
    } catch (e) {
      if (!(e instanceof TemplateError)) throw e;
      const at = path.join('.');
      throw new ComposeFileError(`error while interpolating ${at} in ${file}: ${e.message}`, { file, path: at });
    }
  }
  if (value instanceof ResetTag) return value;
  if (value instanceof OverrideTag) return new OverrideTag(interpolateTree(value.value, lookup, file, path));
  if (Array.isArray(value)) return value.map((v, i) => interpolateTree(v, lookup, file, [...path, String(i)]));
  if (isMap(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = interpolateTree(v, lookup, file, [...path, k]);
    return out;
  }
  return value;
}
