// RecordStore<T>: one JSON file per object under a directory, written atomically, loaded into
// memory at open. Readers get read-only snapshots and never wait on writers.
//
// Lifecycle of a record: `open` loads every file; `put`/`update` write the new record to disk
// first and only then swap it into memory, so a failed write leaves memory and disk agreeing on
// the old record; `delete` removes the file, then the entry. Writes to one id are serialised, so
// an `update` always computes from the record the previous write left.
//
// Snapshots: the stored object is deep-frozen and replaced (never changed) on every write, so a
// read allocates nothing (`ps -a` reads every record) and a reader keeps a consistent record for
// as long as it holds it. The `Snapshot<T>` type makes the compiler reject assignments to it; the
// freeze catches the rest (array pushes, code that ignores the type) at run time.
import { readdir, readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { ensureDir, isAtomicTempName, writeFileAtomic } from '../../lib/atomic-fs.js';
import { errnoCode, notFound } from '../../lib/errors.js';
import { log } from '../../lib/log.js';
import { KeyedMutex } from '../../lib/mutex.js';

export interface StoredRecord {
  schemaVersion: number;
}

/**
 * A record as readers get it: every property read-only, at every depth. Arrays keep their type
 * (so a snapshot still passes where a `T` is read), but they are frozen like the rest.
 */
export type Snapshot<T> = T extends (...args: never[]) => unknown
  ? T
  : T extends readonly unknown[]
    ? T
    : T extends object
      ? { readonly [K in keyof T]: Snapshot<T[K]> }
      : T;

function deepFreeze<T>(v: T): T {
  if (v && typeof v === 'object' && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const k of Object.keys(v)) deepFreeze((v as Record<string, unknown>)[k]);
  }
  return v;
}

export class RecordStore<T extends StoredRecord> {
  private readonly items = new Map<string, Snapshot<T>>();
  private readonly writes = new KeyedMutex();

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
        store.items.set(name.slice(0, -5), deepFreeze(rec) as Snapshot<T>);
      } catch (e) {
        // A record that cannot be read is set aside, never silently overwritten.
        log.warn('unreadable record moved aside', { path: p, error: String(e) });
        await rename(p, p + '.corrupt').catch(() => {});
      }
    }
    return store;
  }

  get(id: string): Snapshot<T> | undefined {
    return this.items.get(id);
  }

  has(id: string): boolean {
    return this.items.has(id);
  }

  values(): Snapshot<T>[] {
    return [...this.items.values()];
  }

  keys(): string[] {
    return [...this.items.keys()];
  }

  get size(): number {
    return this.items.size;
  }

  /** Writes `rec` as the record of `id` (a new object, or a snapshot spread into one) and returns its snapshot. */
  put(id: string, rec: T | Snapshot<T>): Promise<Snapshot<T>> {
    return this.writes.run(id, () => this.write(id, rec));
  }

  /**
   * Computes the next record from the current one and writes it; memory changes only once the
   * write succeeded. `fn` returning undefined leaves the record as it is. Throws not-found when
   * there is no record (it may have been deleted since the caller looked).
   */
  update(id: string, fn: (cur: Snapshot<T>) => T | Snapshot<T> | undefined): Promise<Snapshot<T>> {
    return this.writes.run(id, async () => {
      const cur = this.items.get(id);
      if (!cur) throw notFound(`no record ${id}`);
      const next = fn(cur);
      return next === undefined || next === cur ? cur : this.write(id, next);
    });
  }

  /**
   * Swaps `rec` in memory without writing it: only for a state that is about to be deleted and
   * that startup recovery reconstructs if berthd dies first (an --rm container's exit). The disk
   * keeps the previous record.
   */
  replaceUnsaved(id: string, rec: T | Snapshot<T>): Promise<Snapshot<T>> {
    return this.writes.run(id, async () => {
      const snap = deepFreeze(structuredClone({ ...rec, schemaVersion: this.schemaVersion })) as Snapshot<T>;
      this.items.set(id, snap);
      return snap;
    });
  }

  async delete(id: string): Promise<void> {
    await this.writes.run(id, async () => {
      try {
        await unlink(join(this.dir, `${id}.json`));
      } catch (e) {
        if (errnoCode(e) !== 'ENOENT') throw e;
      }
      this.items.delete(id);
    });
  }

  private async write(id: string, rec: T | Snapshot<T>): Promise<Snapshot<T>> {
    const json = JSON.stringify({ ...rec, schemaVersion: this.schemaVersion });
    await writeFileAtomic(join(this.dir, `${id}.json`), json);
    // Memory holds what the disk holds (parsed back: no shared objects with the caller, no
    // undefined fields that a reload would lose).
    const snap = deepFreeze(JSON.parse(json) as T) as Snapshot<T>;
    this.items.set(id, snap);
    return snap;
  }
}
