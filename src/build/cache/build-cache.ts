// The build cache index: cache key -> image id, persisted under <data-root>/build-cache/ so it
// survives daemon restarts. Hits are checked against the image store (an image removed since
// is a miss, and its entry is dropped). Writes are atomic (temp file + rename) and coalesced:
// a burst of puts during one build costs one write per flush, and flush() is awaited at the
// end of each build so a finished build's entries are durable.
import { lstat, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Digest } from '../../lib/digest.js';
import { ensureDir, readJsonIfExists, writeJsonAtomic } from '../../lib/atomic-fs.js';
import { KeyedMutex } from '../../lib/mutex.js';
import { log } from '../../lib/log.js';
import { messageOf } from '../../lib/errors.js';

interface IndexFile {
  schemaVersion: 1;
  entries: Record<string, Digest>;
}

export interface PruneResult {
  cachesDeleted: string[];
  spaceReclaimed: number;
}

export class BuildCache {
  private readonly lock = new KeyedMutex();
  private dirty = false;

  private constructor(
    readonly root: string,
    private entries: Map<string, Digest>,
  ) {}

  static async open(root: string): Promise<BuildCache> {
    await ensureDir(root);
    await ensureDir(join(root, 'mounts'));
    let file: IndexFile | undefined;
    try {
      file = await readJsonIfExists<IndexFile>(join(root, 'index.json'));
    } catch (e) {
      log.warn('build cache index unreadable; starting empty', { error: messageOf(e) });
    }
    const entries = new Map<string, Digest>(file?.schemaVersion === 1 ? Object.entries(file.entries) : []);
    return new BuildCache(root, entries);
  }

  /** Where `RUN --mount=type=cache` directories live. */
  get mountsDir(): string {
    return join(this.root, 'mounts');
  }

  /** The image cached for `key`, if it still exists (per `exists`). */
  get(key: string, exists: (id: Digest) => boolean): Digest | undefined {
    const id = this.entries.get(key);
    if (id === undefined) return undefined;
    if (exists(id)) return id;
    this.entries.delete(key);
    this.dirty = true;
    return undefined;
  }

  put(key: string, id: Digest): void {
    if (this.entries.get(key) === id) return;
    this.entries.set(key, id);
    this.dirty = true;
  }

  get size(): number {
    return this.entries.size;
  }

  /** Writes the index if it changed since the last flush. */
  async flush(): Promise<void> {
    await this.lock.run('index', async () => {
      if (!this.dirty) return;
      this.dirty = false;
      const file: IndexFile = { schemaVersion: 1, entries: Object.fromEntries(this.entries) };
      try {
        await writeJsonAtomic(join(this.root, 'index.json'), file);
      } catch (e) {
        this.dirty = true;
        throw e;
      }
    });
  }

  /** Drops every entry and the RUN --mount cache directories. */
  async prune(): Promise<PruneResult> {
    return this.lock.run('index', async () => {
      const cachesDeleted = [...this.entries.keys()];
      this.entries = new Map();
      this.dirty = false;
      await writeJsonAtomic(join(this.root, 'index.json'), { schemaVersion: 1, entries: {} } satisfies IndexFile);
      let spaceReclaimed = 0;
      for (const name of await readdir(this.mountsDir).catch(() => [] as string[])) {
        const p = join(this.mountsDir, name);
        spaceReclaimed += await duBytes(p);
        cachesDeleted.push(`mount:${name}`);
        await rm(p, { recursive: true, force: true });
      }
      return { cachesDeleted, spaceReclaimed };
    });
  }
}

async function duBytes(path: string): Promise<number> {
  const st = await lstat(path).catch(() => undefined);
  if (!st) return 0;
  if (!st.isDirectory()) return st.size;
  let n = 0;
  for (const e of await readdir(path)) n += await duBytes(join(path, e));
  return n;
}
