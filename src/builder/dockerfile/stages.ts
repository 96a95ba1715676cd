// The stage graph: Dockerfile -> stages (name, index, base, instructions), the global ARGs that
// FROM lines see, dependencies between stages (FROM <stage>, COPY --from, RUN --mount from=),
// the stages a --target needs in build order, and build-args nobody consumed.
import { GlobalArgs, hostPlatform, platformArgs, proxyArgs, type Platform } from './arg-scope.js';
import type { ParsedDockerfile } from './ast.js';
import type { ArgInstruction, FromInstruction, Instruction } from './instruction-types.js';
import { toInstructions } from './instructions.js';
import { DockerfileParseError } from './parse-error.js';
import { parseDockerfile } from './parser.js';
import { ShellLex, ShellLexError } from './shell-lex.js';
import { withSuggestion } from './suggest.js';

export type StageBase = { kind: 'scratch' } | { kind: 'image'; ref: string } | { kind: 'stage'; index: number };

export type StageDependency =
  | { kind: 'stage'; index: number; via: 'from' | 'copy' | 'mount'; line: number }
  | { kind: 'image'; ref: string; via: 'copy' | 'mount'; line: number };

export interface Stage {
  index: number;
  name?: string; // lower-cased `AS` name
  from: FromInstruction; // as written
  baseName: string; // FROM image after global-ARG expansion
  platform?: string; // --platform after expansion
  base: StageBase;
  instructions: Instruction[]; // after FROM, as written
  dependencies: StageDependency[];
}

export interface StageGraphOptions {
  buildArgs?: Readonly<Record<string, string>>;
  target?: string; // stage name (or index as text); default: last stage
  file?: string;
  buildPlatform?: Platform;
  targetPlatform?: Platform;
}

export interface StageGraph {
  parsed: ParsedDockerfile;
  metaArgs: ArgInstruction[];
  /** Global scope after the meta ARGs (includes the automatic platform args). */
  globalArgs: Map<string, string>;
  stages: Stage[];
  target: number; // index of the target stage
  /** Indexes of the stages the target needs, dependencies first, target last. */
  buildOrder: number[];
  unusedBuildArgs: string[]; // sorted
  /** Docker's warning for unusedBuildArgs, or undefined. */
  unusedBuildArgsWarning?: string;
}

function stageError(msg: string, ins: { file: string; startLine: number; endLine: number }): DockerfileParseError {
  return new DockerfileParseError(msg, { file: ins.file, line: ins.startLine, endLine: ins.endLine });
}

export function parseStages(dockerfile: string | Buffer | ParsedDockerfile, options: StageGraphOptions = {}): StageGraph {
  const parsed = typeof dockerfile === 'object' && 'nodes' in dockerfile ? dockerfile : parseDockerfile(dockerfile, { file: options.file });
  const buildArgs = options.buildArgs ?? {};
  const lex = new ShellLex({ escapeToken: parsed.escapeToken });
  const host = hostPlatform();
  const global = new GlobalArgs(buildArgs, platformArgs(options.buildPlatform ?? host, options.targetPlatform ?? options.buildPlatform ?? host), lex);
  const metaArgs: ArgInstruction[] = [];
  const stages: Stage[] = [];
  const expandGlobal = (w: string, ins: Instruction) => {
    try {
      return lex.processWord(w, global.lookup);
    } catch (e) {
      if (e instanceof ShellLexError) throw stageError(e.message, ins);
      throw e;
    }
  };

  for (const ins of toInstructions(parsed)) {
    if (ins.kind === 'from') {
      const baseName = expandGlobal(ins.image, ins);
      if (baseName === '') throw stageError(`base name (${ins.image}) should not be blank`, ins);
      const platform = ins.platform === undefined ? undefined : expandGlobal(ins.platform, ins);
      const lc = baseName.toLowerCase();
      const prior = stages.find((s) => s.name !== undefined && s.name === lc);
      const base: StageBase = prior ? { kind: 'stage', index: prior.index } : lc === 'scratch' ? { kind: 'scratch' } : { kind: 'image', ref: baseName };
      const st: Stage = { index: stages.length, name: ins.stageName, from: ins, baseName, platform, base, instructions: [], dependencies: [] };
      if (prior) st.dependencies.push({ kind: 'stage', index: prior.index, via: 'from', line: ins.startLine });
      stages.push(st);
      continue;
    }
    const cur = stages[stages.length - 1];
    if (!cur) {
      if (ins.kind === 'arg') {
        metaArgs.push(ins);
        for (const a of ins.args) {
          try {
            global.declare(a.key, a.value);
          } catch (e) {
            if (e instanceof ShellLexError) throw stageError(e.message, ins);
            throw e;
          }
        }
        continue;
      }
      throw stageError('no build stage in current context', ins);
    }
    cur.instructions.push(ins);
  }
  if (stages.length === 0) throw new DockerfileParseError('file with no instructions', { file: parsed.file, line: 0, endLine: 0 });

  // References by name resolve against every stage (BuildKit), by index against valid indexes.
  const byName = new Map(stages.filter((s) => s.name).map((s) => [s.name!, s.index]));
  const resolveRef = (st: Stage, ref: string, via: 'copy' | 'mount', ins: Instruction): StageDependency => {
    if (/^\d+$/.test(ref)) {
      const n = Number(ref);
      if (n >= stages.length) throw stageError(`invalid stage index ${n}`, ins);
      if (n === st.index) throw stageError(`circular dependency detected on stage: ${st.name ?? st.index}`, ins);
      return { kind: 'stage', index: n, via, line: ins.startLine };
    }
    const idx = byName.get(ref.toLowerCase());
    if (idx === undefined) return { kind: 'image', ref, via, line: ins.startLine };
    if (idx === st.index) throw stageError(`circular dependency detected on stage: ${ref}`, ins);
    return { kind: 'stage', index: idx, via, line: ins.startLine };
  };
  for (const st of stages) {
    for (const ins of st.instructions) {
      if (ins.kind === 'copy' && ins.from) {
        if (lex.processWord(ins.from, () => undefined) !== ins.from) {
          throw stageError('variable expansion is not supported for --from, define a new stage with FROM using ARG from global scope as a workaround', ins);
        }
        st.dependencies.push(resolveRef(st, ins.from, 'copy', ins));
      }
      if (ins.kind === 'run') {
        for (const m of ins.mounts) if (m.from) st.dependencies.push(resolveRef(st, m.from, 'mount', ins));
      }
    }
  }

  let target = stages.length - 1;
  if (options.target) {
    const t = byName.get(options.target.toLowerCase());
    if (t === undefined) {
      const names = stages.filter((s) => s.name).map((s) => s.name!);
      throw new DockerfileParseError(
        withSuggestion(`target stage ${JSON.stringify(options.target)} could not be found`, options.target, names, true),
        { file: parsed.file, line: 0, endLine: 0 },
        { prefix: false },
      );
    }
    target = t;
  }

  // Depth-first walk from the target: dependencies first, cycles rejected.
  const order: number[] = [];
  const state = new Map<number, 'visiting' | 'done'>();
  const visit = (i: number) => {
    const s = state.get(i);
    if (s === 'done') return;
    const st = stages[i]!;
    if (s === 'visiting') throw stageError(`circular dependency detected on stage: ${st.name ?? i}`, st.from);
    state.set(i, 'visiting');
    for (const d of st.dependencies) if (d.kind === 'stage') visit(d.index);
    state.set(i, 'done');
    order.push(i);
  };
  visit(target);

  const consumed = new Set<string>([...proxyArgs, ...global.declared]);
  for (const i of order) {
    for (const ins of stages[i]!.instructions) if (ins.kind === 'arg') ins.args.forEach((a) => consumed.add(a.key));
  }
  const unusedBuildArgs = Object.keys(buildArgs)
    .filter((k) => !consumed.has(k))
    .sort();
  return {
    parsed,
    metaArgs,
    globalArgs: global.values,
    stages,
    target,
    buildOrder: order,
    unusedBuildArgs,
    unusedBuildArgsWarning: unusedBuildArgs.length ? `[Warning] One or more build-args [${unusedBuildArgs.join(' ')}] were not consumed` : undefined,
  };
}
