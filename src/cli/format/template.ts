// Executes parsed Go templates over plain data. Objects from JSON behave like Go maps (a
// missing key prints "<no value>"); class instances behave like structs (a missing field is an
// error) and their methods are callable with arguments ({{.Label "x"}}).
import { goString, sprintf } from '../../lib/go-print.js';
import { parseTemplate, TemplateError, type Arg, type Node, type Pipe } from './template-parse.js';

export { TemplateError } from './template-parse.js';
export type TemplateFunc = (...args: unknown[]) => unknown;

export function truthy(v: unknown): boolean {
  if (v === undefined || v === null || v === false || v === 0 || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) return Object.keys(v).length > 0;
  return true;
}

/** Go's json.Marshal: bigints (int64 beyond a double, e.g. timeNano) print as exact numbers. */
function jsonOf(v: unknown): string {
  if (v === undefined) return 'null';
  const s = JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? `\u0000big${x}\u0000` : x)) ?? 'null';
  return s.replace(/"\\u0000big(-?\d+)\\u0000"/g, '$1');
}

function index(v: unknown, ...keys: unknown[]): unknown {
  let cur = v;
  for (const k of keys) {
    if (cur === undefined || cur === null) throw new TemplateError('index of untyped nil');
    if (Array.isArray(cur) || typeof cur === 'string') {
      const i = Number(k);
      if (!Number.isInteger(i) || i < 0 || i >= cur.length) throw new TemplateError(`error calling index: index out of range: ${String(k)}`);
      cur = typeof cur === 'string' ? cur.charCodeAt(i) : cur[i];
    } else cur = (cur as Record<string, unknown>)[String(k)];
  }
  return cur;
}

const cmp =
  (f: (a: never, b: never) => boolean) =>
  (a: unknown, ...bs: unknown[]) =>
    bs.every((b) => f(a as never, b as never));

/** Docker's template functions plus Go's builtins. */
export const defaultFuncs: Record<string, TemplateFunc> = {
  json: jsonOf,
  index,
  join: (a, sep) => (Array.isArray(a) ? a.map(goString).join(String(sep)) : goString(a)),
  split: (s, sep) => String(s).split(String(sep)),
  lower: (s) => goString(s).toLowerCase(),
  upper: (s) => goString(s).toUpperCase(),
  title: (s) => goString(s).replace(/(^|[^\p{L}\p{N}'])(\p{L})/gu, (_m, a: string, b: string) => a + b.toUpperCase()),
  truncate: (s, n) => {
    const chars = [...goString(s)];
    return chars.length > Number(n) ? chars.slice(0, Number(n)).join('') : goString(s);
  },
  pad: (s, l, r) => ' '.repeat(Number(l)) + goString(s) + ' '.repeat(Number(r)),
  print: (...a) => a.map(goString).join(''),
  println: (...a) => `${a.map(goString).join(' ')}\n`,
  printf: (f, ...a) => sprintf(String(f), a),
  len: (v) => (Array.isArray(v) || typeof v === 'string' ? v.length : v && typeof v === 'object' ? Object.keys(v).length : 0),
  not: (v) => !truthy(v),
  and: (...a) => {
    for (const v of a) if (!truthy(v)) return v;
    return a[a.length - 1];
  },
  or: (...a) => {
    for (const v of a) if (truthy(v)) return v;
    return a[a.length - 1];
  },
  eq: (a, ...bs) => bs.some((b) => a === b),
  ne: (a, b) => a !== b,
  lt: cmp((a, b) => a < b),
  le: cmp((a, b) => a <= b),
  gt: cmp((a, b) => a > b),
  ge: cmp((a, b) => a >= b),
  slice: (v, i, j) => (typeof v === 'string' || Array.isArray(v) ? v.slice(Number(i ?? 0), j === undefined ? undefined : Number(j)) : v),
};

/** In table headers docker runs the same template over header names with these no-op functions. */
export const headerFuncs: Record<string, TemplateFunc> = Object.fromEntries(
  ['json', 'join', 'split', 'lower', 'upper', 'title', 'truncate', 'pad'].map((n) => [n, (v: unknown) => v]),
);

type Scope = Map<string, unknown>;

class Exec {
  constructor(
    private readonly funcs: Record<string, TemplateFunc>,
    private readonly out: string[],
  ) {}

  nodes(list: Node[], dot: unknown, vars: Scope): void {
    for (const n of list) this.node(n, dot, vars);
  }

  private node(n: Node, dot: unknown, vars: Scope): void {
    switch (n.t) {
      case 'text':
        this.out.push(n.s);
        return;
      case 'action': {
        const v = this.pipe(n.pipe, dot, vars);
        if (!n.pipe.decl.length) this.out.push(goString(v));
        return;
      }
      case 'if':
      case 'with': {
        const inner = new Map(vars);
        const v = this.pipe(n.pipe, dot, inner);
        if (truthy(v)) this.nodes(n.then, n.t === 'with' ? v : dot, inner);
        else if (n.else) this.nodes(n.else, dot, vars);
        return;
      }
      case 'range': {
        const inner = new Map(vars);
        const decl = n.pipe.decl;
        const v = this.pipe({ decl: [], cmds: n.pipe.cmds }, dot, inner);
        let entries: [unknown, unknown][] = [];
        if (Array.isArray(v)) entries = v.map((x, i) => [i, x]);
        else if (typeof v === 'number') entries = Array.from({ length: v }, (_x, i) => [i, i]);
        else if (v && typeof v === 'object')
          entries = Object.keys(v)
            .sort()
            .map((k) => [k, (v as Record<string, unknown>)[k]]);
        else if (v !== undefined && v !== null) throw new TemplateError(`range can't iterate over ${goString(v)}`);
        if (!entries.length) {
          if (n.else) this.nodes(n.else, dot, vars);
          return;
        }
        for (const [k, x] of entries) {
          if (decl.length === 1) inner.set(decl[0]!, x);
          else if (decl.length === 2) {
            inner.set(decl[0]!, k);
            inner.set(decl[1]!, x);
          }
          this.nodes(n.body, x, inner);
        }
      }
    }
  }

  private pipe(p: Pipe, dot: unknown, vars: Scope): unknown {
    let prev: unknown;
    let has = false;
    for (const cmd of p.cmds) {
      prev = this.command(cmd, dot, vars, has ? [prev] : []);
      has = true;
    }
    for (const name of p.decl) vars.set(name, prev);
    return prev;
  }

  private command(cmd: Arg[], dot: unknown, vars: Scope, piped: unknown[]): unknown {
    const [head, ...rest] = cmd;
    const args = () => [...rest.map((a) => this.arg(a, dot, vars)), ...piped];
    if (head!.t === 'ident') {
      const f = this.funcs[head!.name];
      if (!f) throw new TemplateError(`function "${head!.name}" not defined`);
      try {
        return f(...args());
      } catch (e) {
        if (e instanceof TemplateError) throw e;
        throw new TemplateError(`error calling ${head!.name}: ${(e as Error).message}`);
      }
    }
    if (head!.t === 'field') return this.field(head!, dot, vars, args());
    if (rest.length || piped.length) throw new TemplateError(`can't give argument to non-function ${goString(this.arg(head!, dot, vars))}`);
    return this.arg(head!, dot, vars);
  }

  private arg(a: Arg, dot: unknown, vars: Scope): unknown {
    switch (a.t) {
      case 'dot':
        return dot;
      case 'str':
      case 'num':
      case 'bool':
        return a.v;
      case 'nil':
        return null;
      case 'var': {
        if (a.name === '$') return vars.get('$');
        if (!vars.has(a.name)) throw new TemplateError(`undefined variable "${a.name}"`);
        return vars.get(a.name);
      }
      case 'pipe':
        return this.pipe(a.pipe, dot, new Map(vars));
      case 'field':
        return this.field(a, dot, vars, []);
      case 'ident': {
        const f = this.funcs[a.name];
        if (!f) throw new TemplateError(`function "${a.name}" not defined`);
        return f();
      }
    }
  }

  private field(a: Extract<Arg, { t: 'field' }>, dot: unknown, vars: Scope, args: unknown[]): unknown {
    let cur = a.base ? this.arg(a.base, dot, vars) : dot;
    a.chain.forEach((name, i) => {
      const last = i === a.chain.length - 1;
      if (cur === undefined || cur === null) {
        if (cur === undefined) {
          cur = undefined;
          return;
        }
        throw new TemplateError(`nil pointer evaluating .${name}`);
      }
      if (typeof cur !== 'object') throw new TemplateError(`can't evaluate field ${name} in type ${typeof cur}`);
      const isMap = Object.getPrototypeOf(cur) === Object.prototype || Object.getPrototypeOf(cur) === null;
      if (!isMap && !(name in (cur as object)))
        throw new TemplateError(`can't evaluate field ${name} in type ${(cur as object).constructor?.name ?? 'object'}`);
      const v = (cur as Record<string, unknown>)[name];
      if (typeof v === 'function') cur = (v as TemplateFunc).apply(cur, last ? args : []);
      else {
        if (last && args.length) throw new TemplateError(`${name} has arguments but cannot be invoked as function`);
        cur = v;
      }
    });
    return cur;
  }
}

export interface Template {
  execute(data: unknown): string;
}

/** Compile once, execute per item. */
export function compileTemplate(src: string, funcs: Record<string, TemplateFunc> = defaultFuncs): Template {
  const nodes = parseTemplate(src);
  const all = funcs === defaultFuncs ? funcs : { ...defaultFuncs, ...funcs };
  return {
    execute(data: unknown): string {
      const out: string[] = [];
      new Exec(all, out).nodes(nodes, data, new Map([['$', data]]));
      return out.join('');
    },
  };
}

export function renderTemplate(src: string, data: unknown): string {
  return compileTemplate(src).execute(data);
}
