// commander@14 configured for docker's flag semantics and error texts.
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { UsageError } from './cli-error.js';
import type { CliContext } from './context.js';

export { Option, type Command };
export const collect = (v: string, prev: string[] = []) => [...prev, v];
export const toInt = (v: string) => {
  if (!/^-?\d+$/.test(v)) throw new InvalidArgumentError(`strconv.ParseInt: parsing "${v}": invalid syntax`);
  return Number(v);
};

export interface CommandSpec {
  /** e.g. "run"; the program shows as "berth run". */
  name: string;
  /** docker's usage tail: "[OPTIONS] IMAGE [COMMAND] [ARG...]". */
  usage: string;
  description: string;
  /** Options stop at the first positional (run, create, exec). */
  stopAtPositional?: boolean;
  minArgs?: number;
  maxArgs?: number;
  exactArgs?: number;
}

export interface Parsed<O> { opts: O; args: string[] }

export function newCommand(ctx: CliContext, spec: CommandSpec): Command {
  const c = new Command(`${ctx.prog} ${spec.name}`)
    .usage(spec.usage)
    .description(spec.description)
    .helpOption('--help', 'Print usage')
    .allowExcessArguments(true)
    .allowUnknownOption(false)
    .argument('[args...]')
    .exitOverride()
    .configureOutput({ writeOut: (s) => ctx.out(s), writeErr: () => {} });
  if (spec.stopAtPositional) c.passThroughOptions();
  (c as Command & { berthSpec?: CommandSpec }).berthSpec = spec;
  return c;
}

function usageLine(ctx: CliContext, spec: CommandSpec): string { return `Usage:  ${ctx.prog} ${spec.name} ${spec.usage}`; }

function flagError(ctx: CliContext, spec: CommandSpec, msg: string): UsageError {
  return new UsageError(`${msg}\n\n${usageLine(ctx, spec)}\n\nRun '${ctx.prog} ${spec.name} --help' for more information`);
}

function whichSpelling(argv: string[], flags: string): string {
  const m = /(?:(-\w),\s*)?(--[\w-]+)/.exec(flags);
  const short = m?.[1];
  const long = m?.[2];
  for (let i = argv.length - 1; i >= 0; i--) {
    const a = argv[i]!;
    if (long && (a === long || a.startsWith(long + '='))) return long;
    if (short && /^-[^-]/.test(a) && a.endsWith(short[1]!)) return `'${short[1]}' in ${a}`;
  }
  return long ?? flags;
}

/** Parse argv; throws UsageError with docker's wording; returns null after printing --help. */
export function parse<O>(ctx: CliContext, c: Command, argv: string[]): Parsed<O> | null {
  const spec = (c as Command & { berthSpec: CommandSpec }).berthSpec;
  try {
    c.parse(argv, { from: 'user' });
  } catch (e) {
    if (!(e instanceof CommanderError)) throw e;
    if (e.code === 'commander.helpDisplayed' || e.code === 'commander.help') return null;
    let m: RegExpExecArray | null;
    if (e.code === 'commander.unknownOption' && (m = /'(-[^']*)'/.exec(e.message))) {
      const f = m[1]!;
      if (f.startsWith('--')) throw flagError(ctx, spec, `unknown flag: ${f}`);
      const combined = argv.find((a) => /^-[^-]/.test(a) && a.includes(f[1]!)) ?? f;
      throw flagError(ctx, spec, `unknown shorthand flag: '${f[1]}' in ${combined}`);
    }
    if (e.code === 'commander.optionMissingArgument' && (m = /option '([^']*)'/.exec(e.message))) {
      const flags = m[1]!.replace(/\s*<.*$/, '');
      const sp = whichSpelling(argv, flags);
      throw flagError(ctx, spec, `flag needs an argument: ${sp}`);
    }
    if (e.code === 'commander.invalidArgument' && (m = /option '([^']*)' argument '([^']*)' is invalid\.\s*(.*)$/s.exec(e.message))) {
      const flags = m[1]!.replace(/\s*<.*$/, '');
      throw flagError(ctx, spec, `invalid argument "${m[2]}" for "${flags}" flag: ${m[3]}`);
    }
    throw flagError(ctx, spec, e.message.replace(/^error: /, ''));
  }
  const args = c.args;
  const n = args.length;
  const plural = (k: number) => (k === 1 ? 'argument' : 'arguments');
  const argErr = (msg: string) =>
    new UsageError(`${ctx.prog}: '${ctx.prog} ${spec.name}' ${msg}\n\n${usageLine(ctx, spec)}\n\nSee '${ctx.prog} ${spec.name} --help' for more information`, 1);
  if (spec.exactArgs !== undefined && n !== spec.exactArgs) throw argErr(`requires ${spec.exactArgs === 1 ? 'exactly 1 argument' : `exactly ${spec.exactArgs} arguments`}`);
  if (spec.minArgs !== undefined && n < spec.minArgs) throw argErr(`requires at least ${spec.minArgs} ${plural(spec.minArgs)}`);
  if (spec.maxArgs !== undefined && n > spec.maxArgs) throw argErr(spec.maxArgs === 0 ? 'accepts no arguments' : `requires at most ${spec.maxArgs} ${plural(spec.maxArgs)}`);
  return { opts: c.opts<O & object>() as O, args };
}
