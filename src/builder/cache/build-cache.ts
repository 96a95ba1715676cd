// The build cache index: cache key -> image id, plus the RUN --mount=type=cache directories,
// persisted under <data-root>/build-cache/ so it survives daemon restarts. Hits are checked
// against the image store (an image removed since is a miss, and its entry is dropped). Each
// entry and mount keeps when it was made, last used and how often (what `system df` shows).
// Writes are atomic (temp file + rename) and coalesced: a burst of puts during one build costs
// one write per flush, and flush() is awaited at the end of each build so a finished build's
// entries are durable.
import { lstat, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Digest } from '../../lib/digest.js';
import { ensureDir, readJsonIfExists, writeJsonAtomic } from '../../lib/atomic-fs.js';
import { KeyedMutex } from '../../lib/mutex.js';
import { log } from '../../lib/log.js';
import { messageOf } from '../../lib/errors.js';

export interface CacheEntry {
  image: Digest;
  created: string; // RFC 3339
  lastUsed?: string; // last cache hit
  usage: number; // times made or hit
}

export interface MountMeta {
  /** e.g. "cached mount /root/.cache from exec /bin/sh -c make" */
  description: string;
  created: string;
  lastUsed?: string;
  usage: number;
}

interface IndexV1 {
  schemaVersion: 1;
  entries: Record<string, Digest>;
}

interface IndexV2 {
  schemaVersion: 2;
  entries: Record<string, CacheEntry>;
  mounts: Record<string, MountMeta>;
}

export interface PruneResult {
  /** Record ids as `system df` shows them. */
  cachesDeleted: string[];
  spaceReclaimed: number;
}

/** The id `system df` and prune show for an entry: the key's hex. */
export const entryRecordId = (key: string) => key.replace(/^sha256:/, '');

export class BuildCache {
  private readonly lock = new KeyedMutex();
  private dirty = false;
  /** Cache mount dir name -> steps using it right now. */
  private readonly mountsInUse = new Map<string, number>();

  private constructor(
    readonly root: string,
    private entries: Map<string, CacheEntry>,
    private mounts: Map<string, MountMeta>,
  ) {}

  static async open(root: string): Promise<BuildCache> {
    await ensureDir(root);
    await ensureDir(join(root, 'mounts'));
    const path = join(root, 'index.json');
    let file: IndexV1 | IndexV2 | undefined;
    try {
      file = await readJsonIfExists<IndexV1 | IndexV2>(path);
    } catch (e) {
      log.warn('build cache index unreadable; starting empty', { error: messageOf(e) });
    }
    if (file?.schemaVersion === 2) return new BuildCache(root, new Map(Object.entries(file.entries)), new Map(Object.entries(file.mounts ?? {})));
    const entries = new Map<string, CacheEntry>();
    if (file?.schemaVersion === 1) {
      const created = (await stat(path)).mtime.toISOString();
      for (const [k, image] of Object.entries(file.entries)) entries.set(k, { image, created, usage: 1 });
    }
    return new BuildCache(root, entries, new Map());
  }

  /** Where `RUN --mount=type=cache` directories live. */
  get mountsDir(): string {
    return join(this.root, 'mounts');
  }

  /** The image cached for `key`, if it still exists (per `exists`); a hit counts as a use. */
  get(key: string, exists: (id: Digest) => boolean): Digest | undefined {
    const e = this.entries.get(key);
    if (e === undefined) return undefined;
    this.dirty = true;
    if (exists(e.image)) {
      this.entries.set(key, { ...e, lastUsed: new Date().toISOString(), usage: e.usage + 1 });
      return e.image;
    }
    this.entries.delete(key);
    return undefined;
  }

  put(key: string, id: Digest): void {
    const e = this.entries.get(key);
    if (e?.image === id) return;
    this.entries.set(key, { image: id, created: new Date().toISOString(), usage: 1 });
    this.dirty = true;
  }

  get size(): number {
    return this.entries.size;
  }

  /** Snapshot of the entries: key -> entry. */
  list(): Array<[string, CacheEntry]> {
    return [...this.entries].map(([k, e]) => [k, { ...e }]);
  }

  /**
   * A RUN step is about to use the cache mount directory `name` (under mountsDir): counts the
   * use and marks it in use until the returned function is called (prune leaves it alone).
   */
  useMount(name: string, description: string): () => void {
    const now = new Date().toISOString();
    const m = this.mounts.get(name);
    this.mounts.set(name, { description, created: m?.created ?? now, lastUsed: now, usage: (m?.usage ?? 0) + 1 });
    this.dirty = true;
    this.mountsInUse.set(name, (this.mountsInUse.get(name) ?? 0) + 1);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const n = (this.mountsInUse.get(name) ?? 1) - 1;
      if (n > 0) this.mountsInUse.set(name, n);
      else this.mountsInUse.delete(name);
    };
  }

  /** The cache mount directories on disk with what is known of them, and their sizes. */
  async listMounts(): Promise<Array<{ name: string; meta: MountMeta; inUse: boolean; size: number }>> {
    const out = [];
    for (const name of await readdir(this.mountsDir).catch(() => [] as string[])) {
      const p = join(this.mountsDir, name);
      const st = await lstat(p).catch(() => undefined);
      if (!st) continue;
      const meta = this.mounts.get(name) ?? { description: 'cached mount', created: (st.birthtimeMs ? st.birthtime : st.mtime).toISOString(), usage: 0 };
      out.push({ name, meta: { ...meta }, inUse: this.mountsInUse.has(name), size: await duBytes(p) });
    }
    return out;
  }

  /** Writes the index if it changed since the last flush. */
  async flush(): Promise<void> {
    await this.lock.run('index', async () => {
      if (!this.dirty) return;
      this.dirty = false;
      try {
        await this.write();
      } catch (e) {
        this.dirty = true;
        throw e;
      }
    });
  }

  /**
   * Drops every entry and the RUN --mount cache directories no running step uses. The images
   * entries name stay (they are the image store's); the space reclaimed is the directories'.
   */
  async prune(): Promise<PruneResult> {
    return this.lock.run('index', async () => {
      const cachesDeleted = [...this.entries.keys()].map(entryRecordId);
      this.entries = new Map();
      let spaceReclaimed = 0;
      for (const name of await readdir(this.mountsDir).catch(() => [] as string[])) {
        if (this.mountsInUse.has(name)) continue;
        const p = join(this.mountsDir, name);
        spaceReclaimed += await duBytes(p);
        cachesDeleted.push(name);
        await rm(p, { recursive: true, force: true });
        this.mounts.delete(name);
      }
      this.dirty = false;
      await this.write();
      return { cachesDeleted, spaceReclaimed };
    });
  }

  private async write(): Promise<void> {
    const file: IndexV2 = { schemaVersion: 2, entries: Object.fromEntries(this.entries), mounts: Object.fromEntries(this.mounts) };
    await writeJsonAtomic(join(this.root, 'index.json'), file);
  }
}

/** Bytes in the files under `path` (hard links counted once). */
async function duBytes(path: string, seen = new Set<string>()): Promise<number> {
  const st = await lstat(path).catch(() => undefined);
  if (!st) return 0;
  if (!st.isDirectory()) {
    if (st.nlink > 1) {
      const id = `${st.dev}:${st.ino}`;
      if (seen.has(id)) return 0;
      seen.add(id);
    }
    return st.size;
  }
  let n = 0;
  for (const e of await readdir(path).catch(() => [] as string[])) n += await duBytes(join(path, e), seen);
  return n;
}
