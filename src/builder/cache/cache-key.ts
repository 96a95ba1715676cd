// Build cache keys: content-based and explicit (ARCHITECTURE rule 6). A step's key is a sha256
// over everything that decides its result: the parent image, the instruction after variable
// expansion, the build args the step can see, and for COPY/ADD the content hash of the sources
// (never mtimes). Identical steps in different Dockerfiles therefore share a key.
import { createHash } from 'node:crypto';
import type { Digest } from '../../lib/digest.js';

export interface CacheKeyInput {
  /** The image the step runs on; null for a step on `FROM scratch`. */
  parent: Digest | null;
  /** The instruction as it will run: kind plus the expanded, canonical fields (JSON-able). */
  instruction: unknown;
  /** Build args in scope that the step can see (RUN sees them as env), name -> value. */
  args?: Readonly<Record<string, string>>;
  /** Content hashes of what the step reads besides its parent (COPY sources, --from images). */
  sources?: readonly string[];
  /** Anything else that changes the result (platform, network mode for RUN). */
  extra?: readonly string[];
}

/** Length-prefixed fields so no two different inputs hash alike. */
export function cacheKey(input: CacheKeyInput): Digest {
  const h = createHash('sha256');
  const field = (s: string) => h.update(`${Buffer.byteLength(s)}:${s};`);
  field('berth-build-cache-v1');
  field(input.parent ?? 'scratch');
  field(JSON.stringify(input.instruction));
  const args = Object.entries(input.args ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  field(String(args.length));
  for (const [k, v] of args) {
    field(k);
    field(v);
  }
  for (const list of [input.sources ?? [], input.extra ?? []]) {
    field(String(list.length));
    list.forEach(field);
  }
  return `sha256:${h.digest('hex')}`;
}
