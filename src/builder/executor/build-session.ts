// One build: the stage graph (only what --target needs), stages run as their dependencies
// finish (at most two at once), their output shown in build order as the classic builder
// prints it, then the target image tagged — only when everything succeeded.
import { readFile } from 'node:fs/promises';
import type { Digest } from '../../lib/digest.js';
import { shortId } from '../../lib/digest.js';
import { errnoCode, invalidArgument, isBerthError } from '../../lib/errors.js';
import type { ImageStore } from '../../image/image-store.js';
import type { CacheSource } from '../cache/cache-from.js';
import { resolveInRoot } from '../../lib/safe-path.js';
import { normalizePlatform, parsePlatform } from '../../lib/platform.js';
import { familiarString, parseRepoTag } from '../../lib/reference.js';
import type { BuildCache } from '../cache/build-cache.js';
import type { Instruction, LabelInstruction } from '../dockerfile/instruction-types.js';
import { parseStages, type StageGraph } from '../dockerfile/stages.js';
import { StageRunner } from './stage-runner.js';
import type { BuildRequest, BuildResult, BuilderDeps, Emit } from './types.js';

const MAX_PARALLEL_STAGES = 2;

/** Validates tags up front (before any output), returning them in familiar form. */
export function normaliseTags(tags: readonly string[]): string[] {
  return tags.map((t) => familiarString(parseRepoTag(t)));
}

/** Reads and parses the Dockerfile from the context; errors here come before any output. */
export async function planBuild(req: Pick<BuildRequest, 'contextDir' | 'dockerfile' | 'buildArgs' | 'target' | 'platform'>): Promise<StageGraph> {
  const name = req.dockerfile || 'Dockerfile';
  let text: Buffer;
  try {
    text = await readFile(await resolveInRoot(req.contextDir, name));
  } catch (e) {
    if (errnoCode(e) === 'ENOENT' || errnoCode(e) === 'ENOTDIR' || errnoCode(e) === 'EISDIR')
      throw invalidArgument(`Cannot locate specified Dockerfile: ${name}`);
    throw e;
  }
  // BuildKit's TARGETPLATFORM is the normalised --platform (linux/arm64/v8 → linux/arm64).
  const targetPlatform = req.platform ? normalizePlatform(parsePlatform(req.platform)) : undefined;
  return parseStages(text, { buildArgs: req.buildArgs ?? {}, target: req.target, file: name, targetPlatform });
}

/** The --cache-from images present here (others are skipped, as dockerd does) and every ancestor of them. */
function cacheSources(images: ImageStore, refs: readonly string[]): { sources: CacheSource[]; ancestors: Set<Digest> } {
  const sources: CacheSource[] = [];
  const ancestors = new Set<Digest>();
  for (const ref of refs) {
    let id: Digest;
    try {
      id = images.resolve(ref).id;
    } catch (e) {
      if (isBerthError(e, 'not-found') || isBerthError(e, 'invalid-argument')) continue;
      throw e;
    }
    sources.push({ id, config: images.config(id) });
    for (let a: Digest | undefined = id; a && !ancestors.has(a); a = images.has(a) ? images.resolve(a).parent : undefined) ancestors.add(a);
  }
  return { sources, ancestors };
}

/** The --label options as one LABEL step at the end of the target stage (moby's rule). */
function labelStep(labels: Record<string, string> | undefined): Instruction[] {
  const keys = Object.keys(labels ?? {}).sort();
  if (!keys.length) return [];
  const ins: LabelInstruction = {
    kind: 'label',
    name: 'LABEL',
    file: '',
    startLine: 0,
    endLine: 0,
    original: 'LABEL ' + keys.map((k) => `${JSON.stringify(k)}='${labels![k]}'`).join(' '),
    labels: keys.map((k) => ({ key: k, value: labels![k]!, noDelim: false })),
  };
  return [ins];
}

/**
 * Shows each stage's output in build order: the earliest unfinished stage streams live, later
 * ones (running in parallel) are buffered until their turn.
 */
class OrderedOutput {
  private head = 0;
  private readonly buffers = new Map<number, string[]>();
  private readonly done = new Set<number>();
  constructor(
    private readonly order: number[],
    private readonly emit: Emit,
  ) {}

  writer(stage: number) {
    return {
      write: (text: string) => {
        if (this.order[this.head] === stage) this.emit({ stream: text });
        else (this.buffers.get(stage) ?? this.buffers.set(stage, []).get(stage)!).push(text);
      },
    };
  }

  finish(stage: number): void {
    this.done.add(stage);
    while (this.head < this.order.length && this.done.has(this.order[this.head]!)) {
      this.head++;
      const next = this.order[this.head];
      if (next === undefined) break;
      for (const t of this.buffers.get(next) ?? []) this.emit({ stream: t });
      this.buffers.delete(next);
    }
  }

  /** After a failure: whatever the stages printed, in order. */
  flushAll(): void {
    for (const i of this.order.slice(this.head + 1)) for (const t of this.buffers.get(i) ?? []) this.emit({ stream: t });
    this.buffers.clear();
  }
}

export async function runBuild(deps: BuilderDeps, cache: BuildCache, runsDir: string, req: BuildRequest, graph: StageGraph, emit: Emit): Promise<BuildResult> {
  const tags = normaliseTags(req.tags ?? []);
  const ac = new AbortController();
  const onAbort = () => ac.abort();
  req.signal?.addEventListener('abort', onAbort, { once: true });
  const order = graph.buildOrder;
  const extra = labelStep(req.labels);
  const total = graph.metaArgs.length + order.reduce((n, i) => n + 1 + graph.stages[i]!.instructions.length, 0) + extra.length;
  // Step numbers are fixed per stage up front, so parallel stages number like a serial build.
  let n = 0;
  for (const a of graph.metaArgs) emit({ stream: `Step ${++n}/${total} : ${a.original}\n` });
  const firstStep = new Map<number, number>();
  for (const i of order) {
    firstStep.set(i, n + 1);
    n += 1 + graph.stages[i]!.instructions.length;
  }
  const out = new OrderedOutput(order, emit);
  const results = new Map<number, Promise<Digest | null>>();
  let running = 0;
  const waiters: Array<() => void> = [];
  const acquire = async () => {
    while (running >= MAX_PARALLEL_STAGES) await new Promise<void>((r) => waiters.push(r));
    running++;
  };
  const release = () => {
    running--;
    waiters.shift()?.();
  };
  const env = {
    deps,
    cacheFrom: req.cacheFrom?.length ? cacheSources(deps.images, req.cacheFrom) : undefined,
    cache,
    runsDir,
    req,
    graph,
    signal: ac.signal,
    stageImage: (i: number) => results.get(i) ?? Promise.reject(invalidArgument(`stage ${i} is not part of this build`)),
  };
  for (const i of order) {
    const stage = graph.stages[i]!;
    const deps = stage.dependencies.filter((d) => d.kind === 'stage').map((d) => results.get((d as { index: number }).index)!);
    results.set(
      i,
      (async () => {
        await Promise.all(deps);
        await acquire();
        try {
          let step = firstStep.get(i)!;
          const counter = { next: () => `${step++}/${total}` };
          return await new StageRunner(env, stage, out.writer(i)).run(counter, i === graph.target ? extra : []);
        } finally {
          release();
          out.finish(i);
        }
      })(),
    );
  }
  const all = [...results.values()];
  let firstError: { e: unknown } | undefined;
  // The first failure stops the other stages (their containers are killed).
  for (const p of all)
    p.catch((e: unknown) => {
      firstError ??= { e };
      ac.abort();
    });
  try {
    await Promise.allSettled(all);
    if (firstError) {
      out.flushAll();
      throw firstError.e;
    }
    const imageId = await results.get(graph.target)!;
    if (!imageId) throw invalidArgument('No image was generated. Is your Dockerfile empty?');
    emit({ aux: { ID: imageId } });
    if (graph.unusedBuildArgsWarning) emit({ stream: graph.unusedBuildArgsWarning + '\n' });
    emit({ stream: `Successfully built ${shortId(imageId)}\n` });
    for (const t of tags) {
      await deps.images.tag(imageId, t); // the store reports the tag event
      emit({ stream: `Successfully tagged ${t}\n` });
    }
    return { imageId, tags };
  } finally {
    req.signal?.removeEventListener('abort', onAbort);
    await cache.flush().catch(() => {});
  }
}
