// Instruction flags (`--from=x`, `--link`, repeated `--mount=...`), validated like BuildKit's
// BFlags: unknown, duplicate, missing-value and non-boolean errors use its wording.
import { withSuggestion } from './suggest.js';

export type FlagKind = 'bool' | 'string' | 'strings';
export class FlagError extends Error {}

export interface ParsedFlags {
  bool(name: string): boolean | undefined; // undefined when not given
  string(name: string): string | undefined;
  strings(name: string): string[];
  used: string[];
}

export function parseFlags(words: readonly string[], spec: Readonly<Record<string, FlagKind>>): ParsedFlags {
  const values = new Map<string, string | string[]>();
  for (const a of words) {
    if (a === '--') break;
    if (!a.startsWith('--')) throw new FlagError(`arg should start with -- : ${a}`);
    const eq = a.indexOf('=');
    const flagName = eq < 0 ? a : a.slice(0, eq);
    const value = eq < 0 ? '' : a.slice(eq + 1);
    const hasValue = eq >= 0;
    const name = flagName.slice(2);
    const kind = Object.prototype.hasOwnProperty.call(spec, name) ? spec[name] : undefined;
    if (!kind) throw new FlagError(withSuggestion(`unknown flag: ${flagName}`, name, Object.keys(spec), true));
    if (values.has(name) && kind !== 'strings') throw new FlagError(`duplicate flag specified: ${flagName}`);
    if (kind === 'bool') {
      if (hasValue && value === '') throw new FlagError(`missing a value on flag: ${flagName}`);
      const v = value.toLowerCase();
      if (v !== 'true' && v !== '' && v !== 'false') throw new FlagError(`expecting boolean value for flag ${flagName}, not: ${value}`);
      values.set(name, v === 'false' ? 'false' : 'true');
    } else {
      if (!hasValue) throw new FlagError(`missing a value on flag: ${flagName}`);
      if (kind === 'string') values.set(name, value);
      else values.set(name, [...((values.get(name) as string[] | undefined) ?? []), value]);
    }
  }
  return {
    bool: (n) => (values.has(n) ? values.get(n) === 'true' : undefined),
    string: (n) => values.get(n) as string | undefined,
    strings: (n) => (values.get(n) as string[] | undefined) ?? [],
    used: [...values.keys()],
  };
}
