// The repository index: normalised reference (tag `docker.io/library/busybox:latest` or digest
// `docker.io/library/busybox@sha256:...`) → image id, kept in memory and saved as one JSON file
// with an atomic rename, so a crash leaves the old or the new index, never a mix.
// A name may hold several platforms (as Docker's containerd store keeps an index per name): its
// entry's id is the image the name shows (inspect, tag, push), `others` the images of the other
// platforms it also holds, which `run --platform` picks from and `rmi` removes with it.
import { join } from 'node:path';
import type { Digest } from '../lib/digest.js';
import { readJsonIfExists, writeJsonAtomic } from '../lib/atomic-fs.js';

interface RefEntry {
  id: Digest;
  at: string;
  /** Images of the other platforms this name holds (never `id`, one per platform). */
  others?: Digest[];
}

interface RefFile {
  schemaVersion: 1;
  refs: Record<string, RefEntry>;
}

export class RefIndex {
  private refs = new Map<string, RefEntry>();

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

  /** The images of other platforms `ref` also holds. */
  others(ref: string): Digest[] {
    return this.refs.get(ref)?.others ?? [];
  }

  /** References that hold `id` as another platform's image (not as the one they show). */
  holdersOf(id: Digest): string[] {
    const out: string[] = [];
    for (const [k, v] of this.refs) if (v.others?.includes(id)) out.push(k);
    return out.sort();
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

  /**
   * Applies sets (id, with the other platforms' images the name keeps; none when not given) and
   * deletes (undefined) in one atomic write.
   */
  async update(changes: [string, Digest | undefined, Digest[]?][]): Promise<void> {
    if (!changes.length) return;
    const next = new Map(this.refs);
    const at = new Date().toISOString();
    for (const [k, id, others] of changes) {
      if (id === undefined) next.delete(k);
      else next.set(k, others?.length ? { id, at, others } : { id, at });
    }
    const file: RefFile = { schemaVersion: 1, refs: Object.fromEntries(next) };
    await writeJsonAtomic(this.path, file);
    this.refs = next;
  }

  /** Drops `ids` from every name's other platforms (their images are gone). */
  async forget(ids: ReadonlySet<Digest>): Promise<void> {
    if (![...this.refs.values()].some((v) => v.others?.some((o) => ids.has(o)))) return;
    const next = new Map(this.refs);
    for (const [k, v] of next) {
      const others = v.others?.filter((o) => !ids.has(o));
      if (others && others.length !== v.others!.length) next.set(k, others.length ? { ...v, others } : { id: v.id, at: v.at });
    }
    await writeJsonAtomic(this.path, { schemaVersion: 1, refs: Object.fromEntries(next) } satisfies RefFile);
    this.refs = next;
  }
}

export const isDigestRef = (ref: string) => ref.includes('@');
