// The merge tags of the compose spec. `!reset` removes what earlier files set for a key; `!override`
// replaces it instead of merging. They survive parsing as these wrappers, are honoured by merge
// (across files and by `extends`), and are dropped by `stripTags` once all merging is done.

export class ResetTag {
  /** What the tag was written on (`!reset []`), for the rare reader that wants the empty form. */
  constructor(readonly value: unknown) {}
}

export class OverrideTag {
  constructor(readonly value: unknown) {}
}

/** The plain value: a left-over `!reset` removes its key (or list item), `!override` unwraps. */
export function stripTags(value: unknown): unknown {
  if (value instanceof OverrideTag) return stripTags(value.value);
  if (Array.isArray(value)) return value.filter((v) => !(v instanceof ResetTag)).map(stripTags);
  if (isMap(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (!(v instanceof ResetTag)) out[k] = stripTags(v);
    return out;
  }
  return value;
}

export type RawMap = Record<string, unknown>;

/** A YAML mapping (a plain object), not a list, null or tag wrapper. */
export function isMap(v: unknown): v is RawMap {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof ResetTag) && !(v instanceof OverrideTag);
}
