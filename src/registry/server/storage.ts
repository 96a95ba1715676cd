// The registry's filesystem layout under its --root. Every write lands whole or not at all
// (temp file + fsync + rename, then the directory fsynced), so a kill -9 never leaves a
// half-visible blob, link, tag or manifest:
//   blobs/sha256/<hex>                                   the bytes, shared by all repositories
//   uploads/<uuid>/{data,state.json}                     upload sessions (see uploads.ts)
//   repositories/<name>/_layers/sha256/<hex>             a blob is visible in <name> only with this link
//   repositories/<name>/_manifests/revisions/sha256/<hex> a manifest of <name> (holds its media type)
//   repositories/<name>/_manifests/tags/<tag>            the digest the tag points at
//   repositories/<name>/_referrers/<subject-hex>/<hex>   the descriptor of a manifest whose subject is <subject>
// Repository components never start with "_" (names.ts), so the _dirs cannot collide with them.
import { readdir, readFile, rename, rm, stat, unlink, open, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { createReadStream, type ReadStream } from 'node:fs';
import { ensureDir, fsyncDir, isAtomicTempName, writeFileAtomic } from '../../lib/atomic-fs.js';
import { hexOf, type Digest } from '../../lib/digest.js';
import { errnoCode } from '../../lib/errors.js';

/** What a registry keeps about a manifest besides its bytes. */
export interface Revision {
  mediaType: string;
}

/** An entry of the referrers index (the OCI descriptor the spec's response lists). */
export interface ReferrerDescriptor {
  mediaType: string;
  digest: Digest;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') return false;
    throw e;
  }
}

async function listDir(p: string): Promise<string[]> {
  try {
    return await readdir(p);
  } catch (e) {
    if (errnoCode(e) === 'ENOENT' || errnoCode(e) === 'ENOTDIR') return [];
    throw e;
  }
}

async function readIfExists(p: string): Promise<string | undefined> {
  try {
    return await readFile(p, 'utf8');
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') return undefined;
    throw e;
  }
}

async function removeFile(p: string): Promise<boolean> {
  try {
    await unlink(p);
    return true;
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') return false;
    throw e;
  }
}

const isHex = (n: string) => /^[a-f0-9]{64}$/.test(n);
const isTemp = (n: string) => n.startsWith('.');

/** Suffix of a blob the collector has renamed aside while it decides (sweepBlob). */
const CONDEMNED = '.condemned';

export class RegistryStorage {
  constructor(readonly root: string) {}

  static async open(root: string): Promise<RegistryStorage> {
    for (const d of ['blobs/sha256', 'uploads', 'repositories']) await ensureDir(join(root, d));
    return new RegistryStorage(root);
  }

  get uploadsDir(): string {
    return join(this.root, 'uploads');
  }

  // ---- blobs (global) ----

  blobPath(d: Digest): string {
    return join(this.root, 'blobs', 'sha256', hexOf(d));
  }

  /** The blob's size, or undefined when the registry does not hold it. */
  async blobSize(d: Digest): Promise<number | undefined> {
    try {
      return (await stat(this.blobPath(d))).size;
    } catch (e) {
      if (errnoCode(e) === 'ENOENT') return undefined;
      throw e;
    }
  }

  blobStream(d: Digest, range?: { start: number; end: number }): ReadStream {
    // 1 MiB reads instead of 64 KiB: each read is a thread-pool round trip, and a blob GET read
    // 64 KiB at a time was the limit of a pull on a busy 2-core machine (~100 MB/s).
    return createReadStream(this.blobPath(d), { ...range, highWaterMark: 1 << 20 });
  }

  readBlob(d: Digest): Promise<Buffer> {
    return readFile(this.blobPath(d));
  }

  /**
   * Marks a blob as just used: the garbage collector spares blobs younger than its grace period,
   * so a blob a push is about to reference (committed, mounted, or checked for a manifest) is
   * never swept between that check and the manifest landing.
   */
  async touchBlob(d: Digest): Promise<boolean> {
    const now = new Date();
    try {
      await utimes(this.blobPath(d), now, now);
      return true;
    } catch (e) {
      if (errnoCode(e) === 'ENOENT') return false;
      throw e;
    }
  }

  async blobMtime(d: Digest): Promise<number | undefined> {
    try {
      return (await stat(this.blobPath(d))).mtimeMs;
    } catch (e) {
      if (errnoCode(e) === 'ENOENT') return undefined;
      throw e;
    }
  }

  /** Moves a verified, fsynced file into the blob store (the caller checked its digest). */
  async commitBlobFile(file: string, d: Digest): Promise<void> {
    const now = new Date();
    await utimes(file, now, now); // the data's mtime is its last chunk's, maybe long ago
    await rename(file, this.blobPath(d));
    await fsyncDir(join(this.root, 'blobs', 'sha256'));
  }

  /** Stores bytes whose digest the caller computed (manifests). */
  async putBlobBytes(data: Buffer, d: Digest): Promise<void> {
    if ((await this.blobSize(d)) === data.length && (await this.touchBlob(d))) return;
    await writeFileAtomic(this.blobPath(d), data);
  }

  async listBlobs(): Promise<Digest[]> {
    return (await listDir(join(this.root, 'blobs', 'sha256'))).filter(isHex).map((h) => `sha256:${h}` as Digest);
  }

  /**
   * Removes temp files of writes a kill -9 interrupted, older than `beforeMs` (epoch ms): blobs,
   * and the links, tags, revisions and referrers under repositories/ (the server never reads a
   * temp name, so they were only ever left over; found by the registry torture).
   */
  async removeStaleTemps(beforeMs: number): Promise<number> {
    let n = 0;
    const sweep = async (dir: string, depth: number): Promise<void> => {
      if (depth > 70) return; // repository names are at most 255 characters: bounded anyway
      for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
        const p = join(dir, e.name);
        if (e.isDirectory()) await sweep(p, depth + 1);
        else if (isAtomicTempName(e.name)) {
          const st = await stat(p).catch(() => undefined);
          if (st && st.mtimeMs < beforeMs && (await removeFile(p))) n++;
        }
      }
    };
    await sweep(join(this.root, 'blobs', 'sha256'), 70);
    await sweep(join(this.root, 'repositories'), 0);
    return n;
  }

  async deleteBlob(d: Digest): Promise<boolean> {
    return removeFile(this.blobPath(d));
  }

  private condemnedPath(d: Digest): string {
    return join(this.root, 'blobs', 'sha256', `${hexOf(d)}${CONDEMNED}`);
  }

  /**
   * The collector's last step for one blob, closing the race with a client that is told "exists":
   * the blob is first renamed out of sight, then its mtime is read again. A HEAD, mount or
   * manifest check marks (touchBlob) before it looks, so one that saw the blob marked it before
   * the rename and the mark shows here: the blob goes back. One that looks after the rename finds
   * nothing and uploads. Returns whether the blob was deleted.
   */
  async sweepBlob(d: Digest, youngerThanMs: number): Promise<boolean> {
    const aside = this.condemnedPath(d);
    try {
      await rename(this.blobPath(d), aside);
    } catch (e) {
      if (errnoCode(e) === 'ENOENT') return false;
      throw e;
    }
    const st = await stat(aside);
    if (st.mtimeMs > youngerThanMs) {
      await rename(aside, this.blobPath(d)); // the same verified bytes, even if re-pushed meanwhile
      return false;
    }
    await unlink(aside);
    return true;
  }

  /**
   * Blobs a collector killed inside sweepBlob left renamed aside: put back, so the next
   * collection decides again (a blob a client was just told exists is never lost to a crash).
   */
  async restoreCondemned(): Promise<number> {
    let n = 0;
    for (const name of await listDir(join(this.root, 'blobs', 'sha256'))) {
      if (!name.endsWith(CONDEMNED) || !isHex(name.slice(0, -CONDEMNED.length))) continue;
      await rename(join(this.root, 'blobs', 'sha256', name), join(this.root, 'blobs', 'sha256', name.slice(0, -CONDEMNED.length)));
      n++;
    }
    return n;
  }

  // ---- repositories ----

  private repoDir(repo: string): string {
    return join(this.root, 'repositories', ...repo.split('/'));
  }
  private layerLink(repo: string, d: Digest): string {
    return join(this.repoDir(repo), '_layers', 'sha256', hexOf(d));
  }
  private revisionPath(repo: string, d: Digest): string {
    return join(this.repoDir(repo), '_manifests', 'revisions', 'sha256', hexOf(d));
  }
  private tagPath(repo: string, tag: string): string {
    return join(this.repoDir(repo), '_manifests', 'tags', tag);
  }
  private referrersDir(repo: string, subject: Digest): string {
    return join(this.repoDir(repo), '_referrers', hexOf(subject));
  }

  private async writeLink(path: string, text: string): Promise<void> {
    await ensureDir(join(path, '..'), 0o755);
    await writeFileAtomic(path, text);
  }

  async repoExists(repo: string): Promise<boolean> {
    const dir = this.repoDir(repo);
    return (await exists(join(dir, '_layers'))) || (await exists(join(dir, '_manifests')));
  }

  /** Every repository name, sorted (a directory is a repository once it holds _layers or _manifests). */
  async listRepos(): Promise<string[]> {
    const out: string[] = [];
    const walk = async (dir: string, prefix: string, depth: number): Promise<void> => {
      if (depth > 64) return; // names are at most 255 characters: bounded anyway
      const entries = await listDir(dir);
      if (prefix && (entries.includes('_layers') || entries.includes('_manifests'))) out.push(prefix);
      for (const e of entries) {
        if (e.startsWith('_') || isTemp(e)) continue;
        await walk(join(dir, e), prefix ? `${prefix}/${e}` : e, depth + 1);
      }
    };
    await walk(join(this.root, 'repositories'), '', 0);
    return out.sort();
  }

  async linkBlob(repo: string, d: Digest): Promise<void> {
    await this.touchBlob(d);
    await this.writeLink(this.layerLink(repo, d), d);
  }
  async isBlobLinked(repo: string, d: Digest): Promise<boolean> {
    return exists(this.layerLink(repo, d));
  }
  async unlinkBlob(repo: string, d: Digest): Promise<boolean> {
    return removeFile(this.layerLink(repo, d));
  }
  async linkedBlobs(repo: string): Promise<Digest[]> {
    return (await listDir(join(this.repoDir(repo), '_layers', 'sha256'))).filter(isHex).map((h) => `sha256:${h}` as Digest);
  }

  async putRevision(repo: string, d: Digest, rev: Revision): Promise<void> {
    await this.writeLink(this.revisionPath(repo, d), JSON.stringify(rev));
  }
  async getRevision(repo: string, d: Digest): Promise<Revision | undefined> {
    const text = await readIfExists(this.revisionPath(repo, d));
    return text === undefined ? undefined : (JSON.parse(text) as Revision);
  }
  async deleteRevision(repo: string, d: Digest): Promise<boolean> {
    return removeFile(this.revisionPath(repo, d));
  }
  async revisions(repo: string): Promise<Digest[]> {
    return (await listDir(join(this.repoDir(repo), '_manifests', 'revisions', 'sha256'))).filter(isHex).map((h) => `sha256:${h}` as Digest);
  }

  async setTag(repo: string, tag: string, d: Digest): Promise<void> {
    await this.writeLink(this.tagPath(repo, tag), d);
  }
  async getTag(repo: string, tag: string): Promise<Digest | undefined> {
    const text = await readIfExists(this.tagPath(repo, tag));
    return text === undefined ? undefined : (text.trim() as Digest);
  }
  async deleteTag(repo: string, tag: string): Promise<boolean> {
    return removeFile(this.tagPath(repo, tag));
  }
  async listTags(repo: string): Promise<string[]> {
    return (await listDir(join(this.repoDir(repo), '_manifests', 'tags'))).filter((n) => !isTemp(n)).sort();
  }

  async addReferrer(repo: string, subject: Digest, desc: ReferrerDescriptor): Promise<void> {
    await this.writeLink(join(this.referrersDir(repo, subject), hexOf(desc.digest)), JSON.stringify(desc));
  }
  async removeReferrer(repo: string, subject: Digest, d: Digest): Promise<void> {
    await removeFile(join(this.referrersDir(repo, subject), hexOf(d)));
  }
  async listReferrers(repo: string, subject: Digest): Promise<ReferrerDescriptor[]> {
    const dir = this.referrersDir(repo, subject);
    const out: ReferrerDescriptor[] = [];
    for (const n of (await listDir(dir)).filter(isHex).sort()) {
      const text = await readIfExists(join(dir, n));
      if (text !== undefined) out.push(JSON.parse(text) as ReferrerDescriptor);
    }
    return out;
  }
}

/** Removes a directory tree (upload sessions); absent is fine. */
export async function removeTree(p: string): Promise<void> {
  await rm(p, { recursive: true, force: true });
}

/** fsyncs a file by path (upload data before its state says the bytes are there). */
export async function fsyncFile(p: string): Promise<void> {
  const fh = await open(p, 'r+');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
