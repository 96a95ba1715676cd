// Compose files as YAML: the core schema (YAML 1.2, so `on`/`yes` stay strings and "22:22" is not
// a sexagesimal number) with merge keys (`<<: *base`), the `!reset`/`!override` tags, and Go's
// reading of a leading-zero integer as octal (`mode: 0440`), as compose's yaml.v3 does.
import { parseAllDocuments, type CollectionTag, type ScalarTag, type Tags } from 'yaml';
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

/** Every document of the file, as plain values; YAML syntax errors name the file and line. */
export function parseComposeYaml(text: string, file: string): unknown[] {
  const docs = parseAllDocuments(text, { merge: true, customTags, uniqueKeys: true, prettyErrors: true });
  const list = Array.isArray(docs) ? docs : [docs];
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
