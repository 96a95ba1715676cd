// A small JSON-schema (draft-07) checker for the keywords compose-spec.json uses: type, enum,
// const, minimum/maximum, pattern, properties, patternProperties, additionalProperties, required,
// items, uniqueItems, oneOf/anyOf/allOf, $ref to local definitions. It interprets the schema
// instead of generating code: `berth compose` is a fresh process per command, and checking a
// compose file this way costs well under a millisecond, where loading and first running Ajv's
// generated validator (~290 KB of code) cost 10-25 ms (see bench/compose-load.ts). Errors have
// Ajv's shape, and like Ajv without allErrors it stops at the first failure in each branch.
// schema-check.test.ts checks it against Ajv on valid and invalid documents.

export interface SchemaError {
  instancePath: string;
  keyword: string;
  params: Record<string, unknown>;
  message: string;
}

type Schema = boolean | SchemaObject;
interface SchemaObject {
  $ref?: string;
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  minimum?: number;
  maximum?: number;
  pattern?: string;
  properties?: Record<string, Schema>;
  patternProperties?: Record<string, Schema>;
  additionalProperties?: Schema;
  required?: string[];
  items?: Schema;
  uniqueItems?: boolean;
  oneOf?: Schema[];
  anyOf?: Schema[];
  allOf?: Schema[];
  definitions?: Record<string, Schema>;
}

const regexes = new Map<string, RegExp>();
function regex(p: string): RegExp {
  let re = regexes.get(p);
  if (!re) regexes.set(p, (re = new RegExp(p, 'u')));
  return re;
}

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

function hasType(v: unknown, t: string): boolean {
  switch (t) {
    case 'integer':
      return typeof v === 'number' && Number.isInteger(v);
    case 'number':
      return typeof v === 'number' && Number.isFinite(v);
    case 'object':
      return typeOf(v) === 'object';
    default:
      return typeOf(v) === t;
  }
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null || Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  return ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

const pointer = (path: string, key: string | number) => `${path}/${String(key).replace(/~/g, '~0').replace(/\//g, '~1')}`;

export class SchemaChecker {
  constructor(private readonly root: SchemaObject) {}

  /** The errors of the first failure, Ajv-style (branch errors of a failed oneOf first); [] = valid. */
  check(data: unknown): SchemaError[] {
    const errors: SchemaError[] = [];
    this.validate(this.root, data, '', errors);
    return errors;
  }

  private ref(ref: string): Schema {
    if (!ref.startsWith('#/')) throw new Error(`unsupported $ref ${ref}`);
    let s: unknown = this.root;
    for (const part of ref.slice(2).split('/')) s = (s as Record<string, unknown>)[part.replace(/~1/g, '/').replace(/~0/g, '~')];
    if (s === undefined) throw new Error(`unresolved $ref ${ref}`);
    return s as Schema;
  }

  private validate(s: Schema, d: unknown, path: string, errors: SchemaError[]): boolean {
    const fail = (keyword: string, params: Record<string, unknown>, message: string) => {
      errors.push({ instancePath: path, keyword, params, message });
      return false;
    };
    if (s === true) return true;
    if (s === false) return fail('false schema', {}, 'boolean schema is false');
    if (s.$ref !== undefined && !this.validate(this.ref(s.$ref), d, path, errors)) return false;
    if (s.type !== undefined) {
      const types = Array.isArray(s.type) ? s.type : [s.type];
      if (!types.some((t) => hasType(d, t))) return fail('type', { type: types.join(',') }, `must be ${types.join(',')}`);
    }
    if (s.enum !== undefined && !s.enum.some((e) => deepEqual(e, d))) return fail('enum', { allowedValues: s.enum }, 'must be equal to one of the allowed values');
    if (s.const !== undefined && !deepEqual(s.const, d)) return fail('const', { allowedValue: s.const }, 'must be equal to constant');
    if (typeof d === 'number') {
      if (s.minimum !== undefined && d < s.minimum) return fail('minimum', { limit: s.minimum }, `must be >= ${s.minimum}`);
      if (s.maximum !== undefined && d > s.maximum) return fail('maximum', { limit: s.maximum }, `must be <= ${s.maximum}`);
    }
    if (typeof d === 'string' && s.pattern !== undefined && !regex(s.pattern).test(d)) {
      return fail('pattern', { pattern: s.pattern }, `must match pattern "${s.pattern}"`);
    }
    if (hasType(d, 'object') && !this.object(s, d as Record<string, unknown>, path, errors, fail)) return false;
    if (Array.isArray(d) && !this.array(s, d, path, errors, fail)) return false;
    if (s.allOf && !s.allOf.every((sub) => this.validate(sub, d, path, errors))) return false;
    if (s.anyOf || s.oneOf) return this.alternatives(s, d, path, errors, fail);
    return true;
  }

  private object(s: SchemaObject, d: Record<string, unknown>, path: string, errors: SchemaError[], fail: (k: string, p: Record<string, unknown>, m: string) => boolean): boolean {
    for (const r of s.required ?? []) if (d[r] === undefined) return fail('required', { missingProperty: r }, `must have required property '${r}'`);
    const patterns = s.patternProperties ? Object.entries(s.patternProperties) : [];
    for (const [key, v] of Object.entries(d)) {
      if (v === undefined) continue;
      let matched = false;
      const prop = s.properties?.[key];
      if (prop !== undefined) {
        matched = true;
        if (!this.validate(prop, v, pointer(path, key), errors)) return false;
      }
      for (const [p, sub] of patterns) {
        if (!regex(p).test(key)) continue;
        matched = true;
        if (!this.validate(sub, v, pointer(path, key), errors)) return false;
      }
      if (matched || s.additionalProperties === undefined || s.additionalProperties === true) continue;
      if (s.additionalProperties === false) return fail('additionalProperties', { additionalProperty: key }, 'must NOT have additional properties');
      if (!this.validate(s.additionalProperties, v, pointer(path, key), errors)) return false;
    }
    return true;
  }

  private array(s: SchemaObject, d: unknown[], path: string, errors: SchemaError[], fail: (k: string, p: Record<string, unknown>, m: string) => boolean): boolean {
    if (s.items !== undefined) for (let i = 0; i < d.length; i++) if (!this.validate(s.items, d[i], pointer(path, i), errors)) return false;
    if (s.uniqueItems) {
      for (let i = d.length - 1; i > 0; i--) {
        for (let j = i - 1; j >= 0; j--) {
          if (deepEqual(d[i], d[j])) return fail('uniqueItems', { i, j }, `must NOT have duplicate items (items ## ${j} and ${i} are identical)`);
        }
      }
    }
    return true;
  }

  private alternatives(s: SchemaObject, d: unknown, path: string, errors: SchemaError[], fail: (k: string, p: Record<string, unknown>, m: string) => boolean): boolean {
    const mark = errors.length;
    if (s.anyOf) {
      if (!s.anyOf.some((sub) => this.validate(sub, d, path, errors))) return fail('anyOf', {}, 'must match a schema in anyOf');
      errors.length = mark;
    }
    if (s.oneOf) {
      let passing = 0;
      for (const sub of s.oneOf) if (this.validate(sub, d, path, errors)) passing++;
      if (passing !== 1) return fail('oneOf', { passingSchemas: null }, 'must match exactly one schema in oneOf');
      errors.length = mark;
    }
    return true;
  }
}
