// The docker CLI's option value types used by the volume and network commands: filter
// (opts.FilterOpt), label lists (opts.ValidateLabel), map options (opts.MapOpts), pflag's
// StringSlice ("a,b" → [a b], CSV), and links (opts.ValidateLink). Validation errors surface as
// pflag's `invalid argument "…" for "--x" flag: …` (exit 125) through flags.ts.
import type { Filters } from '../api/client/docker-client.js';
import { InvalidArgumentError } from './flags.js';

/** `--filter name=value`, repeatable; an empty value is ignored. */
export function filterOpt(v: string, prev: string[] = []): string[] {
  if (v === '') return prev;
  if (!v.includes('=')) throw new InvalidArgumentError('bad format of filter (expected name=value)');
  return [...prev, v];
}

/** FilterOpt's Args: names lowercased, name and value trimmed. */
export function filterArgs(list: string[]): Filters {
  const f: Filters = {};
  for (const s of list) {
    const i = s.indexOf('=');
    (f[s.slice(0, i).trim().toLowerCase()] ??= []).push(s.slice(i + 1).trim());
  }
  return f;
}

/** `--label k=v`: a list whose keys must not be empty. */
export function labelOpt(v: string, prev: string[] = []): string[] {
  if (v.split('=')[0]!.trim() === '') throw new InvalidArgumentError(`invalid label '${v}': empty name`);
  return [...prev, v];
}

/** opts.ConvertKVStringsToMap: "k=v" → {k: v}, "k" → {k: ""}; later keys win. */
export function kvMap(list: string[]): Record<string, string> {
  const m: Record<string, string> = {};
  for (const s of list) {
    const i = s.indexOf('=');
    if (i < 0) m[s] = '';
    else m[s.slice(0, i)] = s.slice(i + 1);
  }
  return m;
}

/** `-o, --opt k=v` (MapOpts): collected as a list, read with kvMap. */
export const mapOpt = (v: string, prev: string[] = []): string[] => [...prev, v];

/** pflag StringSlice: each value is one CSV record; values accumulate. */
export function stringsOpt(v: string, prev: string[] = []): string[] {
  return [...prev, ...readCsv(v)];
}

/** encoding/csv for one line: quoted fields with "" escapes; an empty value is no field. */
export function readCsv(v: string): string[] {
  if (v === '') return [];
  const out: string[] = [];
  let i = 0;
  for (;;) {
    let field = '';
    if (v[i] === '"') {
      i++;
      for (;;) {
        const q = v.indexOf('"', i);
        if (q < 0) throw new InvalidArgumentError(`parse error on line 1, column ${v.length + 1}: extraneous or missing " in quoted-field`);
        field += v.slice(i, q);
        i = q + 1;
        if (v[i] === '"') {
          field += '"';
          i++;
          continue;
        }
        break;
      }
      if (i < v.length && v[i] !== ',') throw new InvalidArgumentError(`parse error on line 1, column ${i + 1}: extraneous or missing " in quoted-field`);
    } else {
      const c = v.indexOf(',', i);
      field = v.slice(i, c < 0 ? v.length : c);
      if (field.includes('"')) throw new InvalidArgumentError(`parse error on line 1, column ${i + field.indexOf('"') + 1}: bare " in non-quoted-field`);
      i = c < 0 ? v.length : c;
    }
    out.push(field);
    if (i >= v.length) return out;
    i++; // the comma
    if (i >= v.length) {
      out.push('');
      return out;
    }
  }
}

/** `--link name[:alias]` (opts.ValidateLink). */
export function linkOpt(v: string, prev: string[] = []): string[] {
  if (v === '') throw new InvalidArgumentError('empty string specified for links');
  if (v.split(':').length > 2) throw new InvalidArgumentError(`bad format for links: ${v}`);
  return [...prev, v];
}
