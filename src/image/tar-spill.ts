// Spilling a tar to a private temp dir, because a `docker load` archive's entries can come in
// any order (manifest.json may be last): each regular file is written as <dir>/<n>, and names
// are looked up afterwards. Entry names that leave the archive root are refused outright.
import { createWriteStream } from 'node:fs';
import { mkdir, readFile, rm, stat } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { randomBytes } from 'node:crypto';
import tar from 'tar-stream';
import { BerthError, canceled, invalidArgument, messageOf } from '../lib/errors.js';
import { cleanInRoot, escapesRoot } from '../lib/safe-path.js';

const MAX_ENTRIES = 100_000;
export const MAX_JSON_BYTES = 16 << 20;

interface SpilledFile {
  path: string;
  size: number;
}

export class SpilledTar implements AsyncDisposable {
  private readonly files = new Map<string, SpilledFile>();
  private readonly links = new Map<string, string>(); // name -> target name (both root-relative)

  private constructor(readonly dir: string) {}

  static async from(src: Readable, tmpRoot: string, signal?: AbortSignal): Promise<SpilledTar> {
    const dir = join(tmpRoot, `load-${process.pid}-${randomBytes(6).toString('hex')}`);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const spill = new SpilledTar(dir);
    try {
      await spill.read(src, signal);
    } catch (e) {
      await spill[Symbol.asyncDispose]();
      throw e;
    }
    return spill;
  }

  private async read(src: Readable, signal?: AbortSignal): Promise<void> {
    const extract = tar.extract();
    let n = 0;
    const asInvalid = (e: unknown) => (e instanceof BerthError ? e : signal?.aborted ? canceled() : invalidArgument(`invalid tar archive: ${messageOf(e)}`, e));
    const done = pipeline(src, extract, { signal }).catch((e: unknown) => {
      throw asInvalid(e);
    });
    const consume = (async () => {
      for await (const entry of extract) {
        const h = entry.header;
        if (++n > MAX_ENTRIES) throw invalidArgument('archive has too many entries');
        if (h.name.startsWith('/') || escapesRoot(h.name)) throw invalidArgument(`invalid archive entry name: ${JSON.stringify(h.name)}`);
        const name = cleanInRoot(h.name);
        if ((h.type === 'file' || h.type === 'contiguous-file') && name) {
          const path = join(this.dir, String(n));
          await pipeline(entry, createWriteStream(path, { mode: 0o600 }));
          this.files.set(name, { path, size: (await stat(path)).size });
          this.links.delete(name);
          continue;
        }
        if ((h.type === 'symlink' || h.type === 'link') && name && h.linkname) {
          // A symlink is relative to its directory; a hard link names a path from the root.
          const target = h.type === 'symlink' ? posix.join(posix.dirname(name), h.linkname) : h.linkname;
          if (h.linkname.startsWith('/') || escapesRoot(target)) throw invalidArgument(`invalid link in archive: ${name} -> ${h.linkname}`);
          this.links.set(name, cleanInRoot(target));
          this.files.delete(name);
        }
        entry.resume();
      }
    })().catch((e: unknown) => {
      extract.destroy();
      src.destroy();
      throw asInvalid(e);
    });
    // Both settle before returning, so no rejection is left unhandled; the consumer's error wins.
    const [a, b] = await Promise.allSettled([consume, done]);
    if (a.status === 'rejected') throw a.reason;
    if (b.status === 'rejected') throw b.reason;
  }

  /** Resolves an archive path (lexically cleaned, links followed); undefined if absent. */
  lookup(name: string): SpilledFile | undefined {
    if (typeof name !== 'string' || name.startsWith('/') || escapesRoot(name))
      throw invalidArgument(`invalid path in archive manifest: ${JSON.stringify(name)}`);
    let cur = cleanInRoot(name);
    for (let hops = 0; hops < 16; hops++) {
      const f = this.files.get(cur);
      if (f) return f;
      const next = this.links.get(cur);
      if (next === undefined) return undefined;
      cur = next;
    }
    return undefined;
  }

  has(name: string): boolean {
    return this.lookup(name) !== undefined;
  }

  require(name: string): SpilledFile {
    const f = this.lookup(name);
    if (!f) throw invalidArgument(`invalid archive: ${name} is missing`);
    return f;
  }

  /** Reads a small file (JSON documents), refusing absurd sizes. */
  async readSmall(name: string, max = MAX_JSON_BYTES): Promise<Buffer> {
    const f = this.require(name);
    if (f.size > max) throw invalidArgument(`invalid archive: ${name} is too large (${f.size} bytes)`);
    return readFile(f.path);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }
}
