// Typed reads of untrusted wire JSON: each returns the value or a 400 naming the field, so a
// malformed request never reaches the domain.
import { invalidArgument } from '../../lib/errors.js';

export type Obj = Record<string, unknown>;

function bad(field: string, want: string, v: unknown): never {
  throw invalidArgument(`invalid JSON: ${field}: expected ${want}, got ${JSON.stringify(v)?.slice(0, 60)}`);
}

export function obj(o: Obj, key: string): Obj {
  const v = o[key];
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) bad(key, 'an object', v);
  return v as Obj;
}

export function str(o: Obj, key: string): string | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') bad(key, 'a string', v);
  return v;
}

export function bool(o: Obj, key: string): boolean | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') bad(key, 'a boolean', v);
  return v;
}

/** Docker's wire numbers are Go int64s: a fraction or a value past 2^63 is a 400, as in Go's decoder. */
export function num(o: Obj, key: string): number | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || Math.abs(v) > 2 ** 63) bad(key, 'an integer (int64)', v);
  return v;
}

/** Docker's StrSlice: a string or an array of strings. */
export function strSlice(o: Obj, key: string): string[] | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return [v];
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) bad(key, 'a string or an array of strings', v);
  return v as string[];
}

export function strArray(o: Obj, key: string): string[] | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) bad(key, 'an array of strings', v);
  return v as string[];
}

export function strMap(o: Obj, key: string): Record<string, string> | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v) || Object.values(v).some((x) => typeof x !== 'string')) bad(key, 'a map of strings', v);
  return v as Record<string, string>;
}

export function emptyObjMap(o: Obj, key: string): Record<string, object> | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v)) bad(key, 'an object', v);
  return Object.fromEntries(Object.keys(v as Obj).map((k) => [k, {}]));
}

export function arr(o: Obj, key: string): Obj[] {
  const v = o[key];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'object' || x === null)) bad(key, 'an array of objects', v);
  return v as Obj[];
}

/** `h` and `w` of a resize: a terminal's size is 16 bits each (struct winsize); anything else is a 400. */
export function ttySize(query: { int(name: string): number | undefined }): { h: number; w: number } {
  const h = query.int('h') ?? 0;
  const w = query.int('w') ?? 0;
  for (const [name, v] of [
    ['h', h],
    ['w', w],
  ] as const)
    if (v < 0 || v > 65535) throw invalidArgument(`invalid ${name}: ${v}: a terminal size is 0 to 65535`);
  return { h, w };
}
