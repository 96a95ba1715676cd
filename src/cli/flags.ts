// Flag parsing with the docker CLI's semantics (spf13/pflag under cobra): `--flag=value`,
// `--flag value`, combined shorthands `-it`, `-p80`, `-p=80`, booleans that take `=false`,
// interspersed flags unless a command stops at its first positional, `--` ends flags, and
// pflag's error texts. Commands declare options in the commander-like `option(flags, desc,
// parser|default, default)` style; flags docker knows for the command but berth does not
// declare are still accepted (from the generated help table) so usage errors match docker.
import { UsageError } from './cli-error.js';
import type { CliContext } from './context.js';
import { HELP, HELP_KEY, USAGE_PATH } from './help/docker-help-data.js';
import { renderHelp, type HelpEntry } from './help/help-render.js';

export const collect = (v: string, prev: string[] = []) => [...prev, v];
export class InvalidArgumentError extends Error {}
/** A value parser that only validates (the raw string is kept); errors become pflag's "invalid argument". */
export const checked = (f: (v: string) => unknown) => (v: string) => {
  f(v);
  return v;
};
/** A repeatable flag whose every value is validated. */
export const checkedList =
  (f: (v: string) => unknown) =>
  (v: string, prev: string[] = []) => {
    f(v);
    return [...prev, v];
  };
export const toInt = (v: string) => {
  if (!/^[-+]?\d+$/.test(v)) throw new InvalidArgumentError(`strconv.ParseInt: parsing "${v}": invalid syntax`);
  return Number(v);
};

export interface CommandSpec {
  /** e.g. "run"; the program shows as "berth run" (or the path it was invoked as). */
  name: string;
  /** docker's usage tail: "[OPTIONS] IMAGE [COMMAND] [ARG...]". */
  usage: string;
  description: string;
  /** Options stop at the first positional (run, create, exec, top). */
  stopAtPositional?: boolean;
  minArgs?: number;
  maxArgs?: number;
  exactArgs?: number;
}

export interface Parsed<O> {
  opts: O;
  args: string[];
}

type ValueFn = (v: string, prev: unknown) => unknown;
interface FlagDef {
  long: string;
  short?: string;
  key: string;
  bool: boolean;
  /** Stores !value (commander's `--no-x` declares key x, default true). */
  negate: boolean;
  fn?: ValueFn;
  def?: unknown;
  desc: string;
  typeName: string;
}

const camel = (s: string) => s.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());

const TRUE = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const FALSE = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);
function parseBool(v: string): boolean {
  if (TRUE.has(v)) return true;
  if (FALSE.has(v)) return false;
  throw new InvalidArgumentError(`strconv.ParseBool: parsing "${v}": invalid syntax`);
}

export class Command {
  readonly defs: FlagDef[] = [];
  args: string[] = [];
  private values: Record<string, unknown> = {};
  constructor(
    readonly ctx: CliContext,
    readonly spec: CommandSpec,
    readonly path: string,
  ) {}

  /** commander-style: '-n, --tail <string>', '--sig-proxy [bool]', '--no-trunc', '-d, --detach'. */
  option(flags: string, desc: string, fnOrDefault?: unknown, def?: unknown): this {
    const m = /^(?:-(\w),\s*)?--([\w-]+)(?:\s+([<[])(\w+)[>\]])?$/.exec(flags.trim());
    if (!m) throw new Error(`bad flag spec ${flags}`);
    const [, short, long, bracket, typeName] = m;
    const bool = !bracket || (bracket === '[' && typeName === 'bool');
    const negate = bool && long!.startsWith('no-') && !bracket;
    const fn = typeof fnOrDefault === 'function' ? (fnOrDefault as ValueFn) : undefined;
    const d = fn ? def : fnOrDefault;
    this.defs.push({
      long: long!,
      short,
      key: camel(negate ? long!.slice(3) : long!),
      bool,
      negate,
      fn,
      def: negate ? true : d,
      desc,
      typeName: bool ? '' : typeName!,
    });
    return this;
  }

  opts<O>(): O {
    return this.values as O;
  }

  /** docker's help entry for this command path, if the generated table has one. */
  helpEntry(): HelpEntry | undefined {
    const key = HELP_KEY[this.path] ?? HELP_KEY[this.spec.name] ?? HELP_KEY[this.path.split(' ').pop()!];
    return key ? HELP[key] : undefined;
  }

  usagePath(): string {
    return USAGE_PATH[this.path] ?? this.path;
  }

  usageLine(): string {
    return `Usage:  ${this.ctx.prog} ${this.usagePath()} ${this.spec.usage.replace(/\bdocker\b/g, this.ctx.prog)}`;
  }

  helpText(): string {
    const e = this.helpEntry();
    if (e) return renderHelp(this.ctx.prog, this.usagePath(), e);
    const rows = this.defs.map((d): [string, string] => [`${d.short ? `-${d.short}, ` : ''}--${d.long}${d.typeName ? ' ' + d.typeName : ''}`, d.desc]);
    return renderHelp(this.ctx.prog, this.usagePath(), {
      use: this.spec.usage,
      desc: this.spec.description,
      flags: rows.sort((a, b) => a[0].replace(/^-\w, /, '').localeCompare(b[0].replace(/^-\w, /, ''))),
    });
  }

  /** Declared flags, then flags only docker's table knows (accepted, stored under their name). */
  private allDefs(): FlagDef[] {
    const known = new Set(this.defs.map((d) => d.long));
    const extra: FlagDef[] = [];
    for (const [part] of this.helpEntry()?.flags ?? []) {
      const m = /^(?:-(\S), )?--([\w-]+)(?: (\S+))?/.exec(part);
      if (!m || known.has(m[2]!)) continue;
      extra.push({ long: m[2]!, short: m[1], key: camel(m[2]!), bool: !m[3], negate: false, desc: '', typeName: m[3] ?? '' });
    }
    return [...this.defs, ...extra, { long: 'help', key: '__help', bool: true, negate: false, desc: 'Print usage', typeName: '' }];
  }

  /** Returns false when help was requested. Throws UsageError on bad flags (pflag's wording). */
  parseArgv(argv: string[]): boolean {
    const defs = this.allDefs();
    const byLong = new Map(defs.map((d) => [d.long, d]));
    const byShort = new Map(defs.filter((d) => d.short).map((d) => [d.short!, d]));
    for (const d of defs) if (d.def !== undefined) this.values[d.key] = d.def;
    const args: string[] = [];
    let help = false;
    let helpShorthand = false;
    const set = (d: FlagDef, raw: string | undefined) => {
      const name = d.short ? `-${d.short}, --${d.long}` : `--${d.long}`;
      try {
        if (d.bool) {
          const b = raw === undefined ? true : parseBool(raw);
          if (d.key === '__help') help = b;
          else this.values[d.key] = d.negate ? !b : d.fn ? d.fn(String(b), this.values[d.key]) : b;
        } else this.values[d.key] = d.fn ? d.fn(raw!, this.values[d.key]) : raw;
      } catch (e) {
        throw this.flagError(`invalid argument "${raw}" for "${name}" flag: ${(e as Error).message}`);
      }
    };
    for (let i = 0; i < argv.length; i++) {
      const a = argv[i]!;
      if (a === '--') {
        args.push(...argv.slice(i + 1));
        break;
      }
      if (!a.startsWith('-') || a === '-') {
        if (this.spec.stopAtPositional) {
          args.push(...argv.slice(i));
          break;
        }
        args.push(a);
        continue;
      }
      if (a.startsWith('--')) {
        const eq = a.indexOf('=');
        const name = eq < 0 ? a.slice(2) : a.slice(2, eq);
        const d = byLong.get(name);
        if (!d) throw this.flagError(`unknown flag: --${name}`);
        if (eq >= 0) set(d, a.slice(eq + 1));
        else if (d.bool) set(d, undefined);
        else if (i + 1 < argv.length) set(d, argv[++i]!);
        else throw this.flagError(`flag needs an argument: ${a}`);
        continue;
      }
      let s = a.slice(1);
      while (s.length) {
        const c = s[0]!;
        const d = byShort.get(c) ?? (c === 'h' ? byLong.get('help') : undefined);
        if (!d) throw this.flagError(`unknown shorthand flag: '${c}' in -${s}`);
        if (c === 'h' && d.long === 'help') helpShorthand = true;
        if (s[1] === '=') {
          set(d, s.slice(2));
          break;
        }
        if (d.bool) {
          set(d, undefined);
          s = s.slice(1);
          continue;
        }
        if (s.length > 1) {
          set(d, s.slice(1));
          break;
        }
        if (i + 1 < argv.length) {
          set(d, argv[++i]!);
          break;
        }
        throw this.flagError(`flag needs an argument: '${c}' in -${s}`);
      }
    }
    this.args = args;
    if (help) {
      if (helpShorthand) this.ctx.out('Flag shorthand -h has been deprecated, use --help\n');
      this.ctx.out(this.helpText());
      return false;
    }
    return true;
  }

  flagError(msg: string): UsageError {
    return new UsageError(`${msg}\n\n${this.usageLine()}\n\nRun '${this.ctx.prog} ${this.path} --help' for more information`);
  }
}

export function newCommand(ctx: CliContext, spec: CommandSpec): Command {
  return new Command(ctx, spec, ctx.commandPath ?? spec.name);
}

/** Parse argv; throws UsageError with docker's wording; returns null after printing --help. */
export function parse<O>(_ctx: CliContext, c: Command, argv: string[]): Parsed<O> | null {
  if (!c.parseArgv(argv)) return null;
  const spec = c.spec;
  const ctx = c.ctx;
  const args = c.args;
  const n = args.length;
  const plural = (k: number) => (k === 1 ? 'argument' : 'arguments');
  const p = ctx.prog;
  const argErr = (msg: string, see = 'Run') =>
    new UsageError(`${p}: '${p} ${c.path}' ${msg}\n\n${c.usageLine()}\n\n${see} '${p} ${c.path} --help' for more information`, 1);
  if (spec.exactArgs !== undefined && n !== spec.exactArgs) throw argErr(`requires ${spec.exactArgs} ${plural(spec.exactArgs)}`);
  const { minArgs: min, maxArgs: max } = spec;
  if (min !== undefined && max !== undefined && max > 0) {
    if (n < min || n > max) throw argErr(`requires at least ${min} and at most ${max} ${plural(max)}`);
  } else {
    if (min !== undefined && n < min) throw argErr(`requires at least ${min} ${plural(min)}`, 'See');
    // docker's RequiresMaxArgs really prints "SRun".
    if (max !== undefined && n > max) throw max === 0 ? argErr('accepts no arguments') : argErr(`requires at most ${max} ${plural(max)}`, 'SRun');
  }
  return { opts: c.opts<O>(), args };
}
