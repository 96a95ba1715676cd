// RecordStore<T>: one JSON file per object under a directory, written atomically, loaded into
// memory at open. Readers get the in-memory snapshot and never wait on writers.
import { readdir, readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { ensureDir, isAtomicTempName, writeJsonAtomic } from '../../lib/atomic-fs.js';
import { errnoCode } from '../../lib/errors.js';
import { log } from '../../lib/log.js';

export interface StoredRecord {
  schemaVersion: number;
}

export class RecordStore<T extends StoredRecord> {
  private readonly items = new Map<string, T>();

  private constructor(
    readonly dir: string,
    private readonly schemaVersion: number,
  ) {}

  /** Opens the directory, removes temp files of interrupted writes, loads every record. */
  static async open<T extends StoredRecord>(dir: string, schemaVersion = 1): Promise<RecordStore<T>> {
    const store = new RecordStore<T>(dir, schemaVersion);
    await ensureDir(dir);
    for (const name of await readdir(dir)) {
      const p = join(dir, name);
      if (isAtomicTempName(name)) {
        await unlink(p).catch(() => {});
        continue;
      }
      if (!name.endsWith('.json')) continue;
      try {
        const rec = JSON.parse(await readFile(p, 'utf8')) as T;
        store.items.set(name.slice(0, -5), rec);
      } catch (e) {
        // A record that cannot be read is set aside, never silently overwritten.
        log.warn('unreadable record moved aside', { path: p, error: String(e) });
        await rename(p, p + '.corrupt').catch(() => {});
      }
    }
    return store;
  }

  get(id: string): T | undefined {
    return this.items.get(id);
  }

  has(id: string): boolean {
    return this.items.has(id);
  }

  values(): T[] {
    return [...this.items.values()];
  }

  keys(): string[] {
    return [...this.items.keys()];
  }

  get size(): number {
    return this.items.size;
  }

  async put(id: string, rec: T): Promise<void> {
    rec.schemaVersion = this.schemaVersion;
    await writeJsonAtomic(join(this.dir, `${id}.json`), rec);
    this.items.set(id, rec);
  }

  async delete(id: string): Promise<void> {
    try {
      await unlink(join(this.dir, `${id}.json`));
    } catch (e) {
      if (errnoCode(e) !== 'ENOENT') throw e;
    }
    this.items.delete(id);
  }
}
