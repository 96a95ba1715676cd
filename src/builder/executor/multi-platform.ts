// `build --platform linux/amd64,linux/arm64`: one build per platform, run side by side (as many
// at once as the machine has cores), each with its own stage graph (TARGETPLATFORM differs),
// their output lines prefixed with the platform as BuildKit names its steps; when all succeeded,
// every -t names all the platforms' images at once (an index per name), showing the host's.
// dockerd's classic builder refuses a list; Berth accepts it on the same `platform` parameter.
import { availableParallelism } from 'node:os';
import type { Digest } from '../../lib/digest.js';
import { shortId } from '../../lib/digest.js';
import { invalidArgument } from '../../lib/errors.js';
import { formatPlatform, normalizePlatform, parsePlatform } from '../../lib/platform.js';
import type { StageGraph } from '../dockerfile/stages.js';
import { normaliseTags } from './build-session.js';
import type { BuildRequest, BuildResult, BuilderDeps, Emit } from './types.js';

/** The platforms of a `--platform` value: comma-separated, each valid, duplicates (after normalising) once. */
export function platformList(value: string | undefined): string[] {
  if (value === undefined || value.trim() === '') return [];
  const out: string[] = [];
  const seen = new Set<string>();
  for (const part of value.split(',')) {
    const s = part.trim();
    if (!s) throw invalidArgument(`invalid platform list ${JSON.stringify(value)}: empty entry`);
    const key = formatPlatform(normalizePlatform(parsePlatform(s)));
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(s);
  }
  return out;
}

/** Prefixes each line a platform's build prints with `[linux/arm64] `, across chunk boundaries. */
export function prefixedEmit(prefix: string, emit: Emit): Emit {
  let atLineStart = true;
  return (m) => {
    if (m.aux) return; // each platform's image id; the build reports the name's once
    if (m.stream === undefined) return emit(m);
    let out = '';
    for (const line of m.stream.split(/(?<=\n)/)) {
      if (atLineStart) out += prefix;
      out += line;
      atLineStart = line.endsWith('\n');
    }
    emit({ ...m, stream: out });
  };
}

export interface PlatformPlan {
  platform: string;
  graph: StageGraph;
}

/** Runs one build (build-session's runBuild) for a platform. */
export type RunOne = (req: BuildRequest, graph: StageGraph, emit: Emit) => Promise<BuildResult>;

export async function runMultiPlatform(deps: BuilderDeps, runOne: RunOne, req: BuildRequest, plans: readonly PlatformPlan[], emit: Emit): Promise<BuildResult> {
  const tags = normaliseTags(req.tags ?? []);
  const ac = new AbortController();
  const onAbort = () => ac.abort();
  req.signal?.addEventListener('abort', onAbort, { once: true });
  const width = Math.max(1, Math.min(plans.length, availableParallelism()));
  const ids: Digest[] = new Array(plans.length);
  let next = 0;
  let failure: { e: unknown } | undefined;
  const worker = async () => {
    while (next < plans.length && !failure) {
      const i = next++;
      const p = plans[i]!;
      const sub: BuildRequest = { ...req, platform: p.platform, tags: [], signal: ac.signal };
      try {
        ids[i] = (await runOne(sub, p.graph, prefixedEmit(`[${formatPlatform(normalizePlatform(parsePlatform(p.platform)))}] `, emit))).imageId;
      } catch (e) {
        // The first failure stops the other platforms' builds.
        failure ??= { e };
        ac.abort();
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: width }, worker));
    if (failure) throw failure.e;
    // The name shows the host's platform: that image is the build's result (aux ID, -q, --iidfile).
    const first = tags[0];
    for (const t of tags) await deps.images.setPlatforms(t, ids);
    const shown = first ? deps.images.resolve(first).id : ids[0]!;
    emit({ aux: { ID: shown } });
    emit({ stream: `Successfully built ${shortId(shown)} (${plans.map((p) => formatPlatform(normalizePlatform(parsePlatform(p.platform)))).join(', ')})\n` });
    for (const t of tags) emit({ stream: `Successfully tagged ${t}\n` });
    return { imageId: shown, tags };
  } finally {
    req.signal?.removeEventListener('abort', onAbort);
  }
}
