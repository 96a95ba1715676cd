// Build context directories kept between builds. Unpacking a context means creating every file
// in it, which is what a cached rebuild would otherwise spend nearly all its time on; a
// directory left by the previous build of the same project (same Dockerfile path and tags) is
// handed back with its index, so extractContext rewrites only what changed.
//
// Layout under root: `<id>/` the unpacked context, `<id>.json` its index. The index is removed
// before the directory is first changed (changing()) and written (atomically) only when it is
// given back whole, so after a crash a directory without an index is garbage and removed at the
// next start. A directory given back unchanged keeps the index it had: nothing is written.
import { randomBytes } from 'node:crypto';
import { unlinkSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../../lib/atomic-fs.js';
import { errnoCode } from '../../lib/errors.js';
import { log } from '../../lib/log.js';
import type { ContextIndex, ContextIndexEntry } from './context-tar.js';

export interface ContextLease {
  readonly dir: string;
  /** The index of what `dir` holds now; undefined for a new, empty directory. */
  readonly previous?: ContextIndex;
}

interface Slot {
  id: string;
  key: string;
  index?: ContextIndex;
  busy: boolean;
  /** Its index file is gone: the directory may have changed since it was acquired. */
  dirty: boolean;
  lastUsed: number;
}

interface IndexFile {
  key: string;
  entries: Array<[string, ContextIndexEntry]>;
}

export class ContextPool {
  private readonly slots = new Map<string, Slot>();
  private clock = 0;

  /** capacity: how many idle directories are kept; busy ones are never counted against it. */
  constructor(
    readonly root: string,
    private readonly capacity = 4,
  ) {}

  /** Takes over what the previous daemon left: directories with an index are kept, others removed. */
  async init(): Promise<void> {
    await mkdir(this.root, { recursive: true, mode: 0o700 });
    const names = await readdir(this.root);
    const indexed = new Set(names.filter((n) => n.endsWith('.json')).map((n) => n.slice(0, -5)));
    for (const name of names) {
      if (name.endsWith('.json')) {
        if (!names.includes(name.slice(0, -5))) await rm(join(this.root, name), { force: true });
        continue;
      }
      const file = indexed.has(name) ? await this.readIndex(name) : undefined;
      if (file && this.slots.size < this.capacity) {
        this.slots.set(name, { id: name, key: file.key, index: new Map(file.entries), busy: false, dirty: false, lastUsed: ++this.clock });
      } else {
        await this.discard(name);
      }
    }
  }

  /** The index of the idle directory kept for `key`, without taking it (what a client need not send). */
  peek(key: string): ContextIndex | undefined {
    let best: Slot | undefined;
    for (const s of this.slots.values()) if (!s.busy && s.key === key && (!best || s.lastUsed > best.lastUsed)) best = s;
    return best?.index;
  }

  /** A directory for a build identified by `key`: the idle one last used for that key if any. */
  async acquire(key: string): Promise<ContextLease> {
    const idle = [...this.slots.values()].filter((s) => !s.busy);
    let slot = idle.find((s) => s.key === key);
    // Over capacity a stale directory is cheaper to rewrite than to delete and recreate.
    if (!slot && idle.length >= this.capacity) slot = idle.sort((a, b) => a.lastUsed - b.lastUsed)[0];
    if (!slot) {
      slot = { id: randomBytes(8).toString('hex'), key, busy: false, dirty: true, lastUsed: 0 };
      await mkdir(join(this.root, slot.id), { mode: 0o700 });
      this.slots.set(slot.id, slot);
    }
    slot.busy = true;
    slot.lastUsed = ++this.clock;
    const previous = slot.index;
    slot.index = undefined;
    // A key changes only in memory until the index is rewritten: a directory kept under another key is just a start.
    if (previous && slot.key !== key) this.changing({ dir: join(this.root, slot.id), previous });
    slot.key = key;
    return { dir: join(this.root, slot.id), previous };
  }

  /** Call before the first change to a leased directory: from here until release it may be half-written, and no index on disk says otherwise. */
  changing(lease: ContextLease): void {
    const slot = this.slotOf(lease);
    if (!slot || slot.dirty) return;
    try {
      unlinkSync(join(this.root, `${slot.id}.json`));
    } catch (e) {
      if (errnoCode(e) !== 'ENOENT') throw e;
    }
    slot.dirty = true;
  }

  private slotOf(lease: ContextLease): Slot | undefined {
    for (const s of this.slots.values()) if (join(this.root, s.id) === lease.dir) return s;
    return undefined;
  }

  /** Gives a directory back; with its index it is kept for the next build, without it removed. */
  async release(lease: ContextLease, index: ContextIndex | undefined): Promise<void> {
    const slot = this.slotOf(lease);
    if (!slot) return;
    slot.busy = false;
    if (!slot.dirty && index && lease.previous) {
      slot.index = lease.previous; // never changed (changing() not called): its index file is still there and true
      return;
    }
    if (!index) {
      this.slots.delete(slot.id);
      await this.discard(slot.id);
      return;
    }
    const file: IndexFile = { key: slot.key, entries: [...index] };
    await writeFileAtomic(join(this.root, `${slot.id}.json`), JSON.stringify(file));
    slot.index = index;
    slot.dirty = false;
    await this.trim();
  }

  /** Removes every idle directory (builder prune); returns how many. */
  async clear(): Promise<number> {
    let n = 0;
    for (const s of [...this.slots.values()]) {
      if (s.busy) continue;
      this.slots.delete(s.id);
      await this.discard(s.id);
      n++;
    }
    return n;
  }

  private async trim(): Promise<void> {
    const idle = [...this.slots.values()].filter((s) => !s.busy).sort((a, b) => b.lastUsed - a.lastUsed);
    for (const s of idle.slice(this.capacity)) {
      this.slots.delete(s.id);
      await this.discard(s.id);
    }
  }

  private async readIndex(id: string): Promise<IndexFile | undefined> {
    try {
      const v = JSON.parse(await readFile(join(this.root, `${id}.json`), 'utf8')) as IndexFile;
      if (typeof v?.key === 'string' && Array.isArray(v.entries)) return v;
    } catch (e) {
      log.warn('discarding an unreadable build context index', { id, error: String(e) });
    }
    return undefined;
  }

  private async discard(id: string): Promise<void> {
    await unlink(join(this.root, `${id}.json`)).catch(() => {});
    await rm(join(this.root, id), { recursive: true, force: true });
  }
}
