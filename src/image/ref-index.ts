// The repository index: normalised reference (tag `docker.io/library/busybox:latest` or digest
// `docker.io/library/busybox@sha256:...`) → image id, kept in memory and saved as one JSON file
// with an atomic rename, so a crash leaves the old or the new index, never a mix.
import { join } from 'node:path';
import type { Digest } from '../lib/digest.js';
import { readJsonIfExists, writeJsonAtomic } from '../lib/atomic-fs.js';

interface RefFile {
  schemaVersion: 1;
  refs: Record<string, { id: Digest; at: string }>;
}

export class RefIndex {
  private refs = new Map<string, { id: Digest; at: string }>();

  private constructor(private readonly path: string) {}

  static async open(dir: string): Promise<RefIndex> {
    const idx = new RefIndex(join(dir, 'repositories.json'));
    const f = await readJsonIfExists<RefFile>(idx.path);
    for (const [k, v] of Object.entries(f?.refs ?? {})) idx.refs.set(k, v);
    return idx;
  }

  get(ref: string): Digest | undefined {
    return this.refs.get(ref)?.id;
  }

  /** Normalised references to `id`, sorted (tags and digests). */
  refsOf(id: Digest): string[] {
    const out: string[] = [];
    for (const [k, v] of this.refs) if (v.id === id) out.push(k);
    return out.sort();
  }

  lastTagTime(id: Digest): string | undefined {
    let last: string | undefined;
    for (const v of this.refs.values()) if (v.id === id && (!last || v.at > last)) last = v.at;
    return last;
  }

  entries(): [string, Digest][] {
    return [...this.refs].map(([k, v]) => [k, v.id]);
  }

  /** Applies sets (id) and deletes (undefined) in one atomic write. */
  async update(changes: [string, Digest | undefined][]): Promise<void> {
    if (!changes.length) return;
    const next = new Map(this.refs);
    const at = new Date().toISOString();
    for (const [k, id] of changes) {
      if (id === undefined) next.delete(k);
      else next.set(k, { id, at });
    }
    const file: RefFile = { schemaVersion: 1, refs: Object.fromEntries(next) };
    await writeJsonAtomic(this.path, file);
    this.refs = next;
  }
}

export const isDigestRef = (ref: string) => ref.includes('@');
