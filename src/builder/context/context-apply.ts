// The incremental build context (POST /berth/build/context and /berth/build, see
// docs/build-context.md), daemon side: which contents a manifest needs that the daemon lacks,
// reading the upload (the manifest, then only those contents as `blobs/<sha256>` tar entries)
// into the content store, and turning the context directory the last build of the same context
// left into exactly what the manifest describes. Unchanged files are not touched; a changed one
// is replaced by its blob (moved, not copied); what the manifest no longer names is removed.
//
// Nothing in the directory changes until the whole upload is in and every content the manifest
// needs is at hand, so a cut upload leaves the kept context as it was (and its blobs in the
// store for the retry). Every path is checked (context-manifest.ts) and every directory on the
// way to an entry is made or checked to be a real directory, parents first, so no write follows
// a symlink, whatever the directory held before.
import { chmodSync, constants, copyFileSync, lstatSync, mkdirSync, renameSync, rmSync, symlinkSync, utimesSync, lutimesSync, type Stats } from 'node:fs';
import type { Readable } from 'node:stream';
import { conflict, errnoCode, invalidArgument, isBerthError } from '../../lib/errors.js';
import { createHash, randomBytes } from 'node:crypto';
import { BLOB_PREFIX, MANIFEST_ENTRY, parseManifest, SHA256_HEX, type ManifestEntry } from '../../lib/context-manifest.js';
import type { ContextIndex, ExtractContextResult } from './context-tar.js';
import { writeVerified, type ContextStore } from './context-store.js';
import { uploadEntries } from './upload-tar.js';

const MAX_MANIFEST_BYTES = 256 << 20;

/** The digests of files in `entries` that neither `previous` (the kept context) nor the store holds, each once. */
export function missingContents(entries: readonly ManifestEntry[], previous: ContextIndex | undefined, store: ContextStore): string[] {
  const have = new Set<string>();
  if (previous) for (const e of previous.values()) if (e.t === 'f' && e.d) have.add(e.d);
  const missing = new Set<string>();
  let stored: Set<string> | undefined; // read only when the kept context lacks something
  for (const e of entries) if (e.t === 'f' && !have.has(e.d!) && !missing.has(e.d!) && !(stored ??= store.digests()).has(e.d!)) missing.add(e.d!);
  return [...missing];
}

/**
 * A manifest's checked entries from its JSON bytes. The same manifest arrives twice (the
 * question, then the upload): the last few are remembered by digest and not checked again.
 */
export class ManifestReader {
  private readonly recent = new Map<string, ManifestEntry[]>();
  read(raw: Buffer): ManifestEntry[] {
    const key = createHash('sha256').update(raw).digest('hex');
    const hit = this.recent.get(key);
    if (hit) return hit;
    let json: unknown;
    try {
      json = JSON.parse(raw.toString('utf8'));
    } catch {
      throw invalidArgument('invalid build context manifest: not JSON');
    }
    const entries = parseManifest(json);
    this.recent.set(key, entries);
    if (this.recent.size > 4) this.recent.delete(this.recent.keys().next().value!);
    return entries;
  }
}

/** What an upload brought: the manifest's entries (checked), and the files written straight into their place. */
export interface ReceivedUpload {
  entries: ManifestEntry[];
  /** path -> digest of files already written at that path of the context directory (`into`), with their mode and time. */
  placed: Map<string, string>;
}

/**
 * Reads an upload; returns the manifest's entries (checked). Limits bound the work. Contents go
 * to the store, or with `into` (a new, empty context directory that is discarded whole if the
 * upload is cut: nothing else knows it yet) straight to the first path that holds them, so each
 * byte is written once and no file is created twice.
 */
export async function receiveUpload(
  body: Readable,
  store: ContextStore,
  manifests: ManifestReader,
  opts: { maxBytes?: number; signal?: AbortSignal; into?: string } = {},
): Promise<ReceivedUpload> {
  const maxBytes = opts.maxBytes ?? 16 * 1024 ** 3;
  const onAbort = () => body.destroy(new Error('build context upload aborted'));
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  let entries: ManifestEntry[] | undefined;
  const wanted = new Map<string, ManifestEntry>(); // digest -> the first file holding it
  const placed = new Map<string, string>();
  const madeDirs = new Set<string>();
  let bytes = 0;
  try {
    // Not destroyed on a refusal: the error answer reads the rest first, so the client gets it (lib/http).
    for await (const entry of uploadEntries(body.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>)) {
      if (!entries) {
        if (entry.name !== MANIFEST_ENTRY || entry.type !== 'file')
          throw invalidArgument(`invalid build context upload: the first entry must be ${MANIFEST_ENTRY}`);
        if (entry.size > MAX_MANIFEST_BYTES) throw invalidArgument('invalid build context upload: manifest too large');
        const chunks: Buffer[] = [];
        for await (const c of entry.body) chunks.push(c);
        entries = manifests.read(Buffer.concat(chunks));
        for (const e of entries) if (e.t === 'f' && !wanted.has(e.d!)) wanted.set(e.d!, e);
        continue;
      }
      const digest = entry.name.startsWith(BLOB_PREFIX) ? entry.name.slice(BLOB_PREFIX.length) : '';
      if (entry.type !== 'file' || !SHA256_HEX.test(digest))
        throw invalidArgument(`invalid build context upload: unexpected entry ${JSON.stringify(entry.name)}`);
      if (!wanted.has(digest)) throw invalidArgument(`invalid build context upload: blob ${digest} is not in the manifest`);
      bytes += entry.size;
      if (bytes > maxBytes) throw invalidArgument(`build context is larger than ${maxBytes} bytes`);
      const file = wanted.get(digest)!;
      const p = file.p;
      if (opts.into && !placed.has(p)) {
        // Paths are checked (no `..`, nothing below a file or symlink of the manifest) and this directory holds only what this loop made.
        const parent = p.lastIndexOf('/') < 0 ? '' : p.slice(0, p.lastIndexOf('/'));
        if (parent && !madeDirs.has(parent)) {
          mkdirSync(`${opts.into}/${parent}`, { recursive: true, mode: 0o755 });
          madeDirs.add(parent);
        }
        await writeVerified(`${opts.into}/${p}`, digest, entry.body, { mode: file.m, mtime: file.mt });
        placed.set(p, digest);
      } else await store.write(digest, entry.body);
    }
  } catch (e) {
    // The directory goes (a new one is discarded whole); the contents that arrived whole wait in the store for the retry.
    if (opts.into)
      for (const [p, d] of placed) {
        try {
          store.adopt(`${opts.into}/${p}`, d);
        } catch {
          // gone with a failed write: the retry sends it
        }
      }
    if (e instanceof Error && !isBerthError(e) && !errnoCode(e)) throw invalidArgument(`invalid build context upload: ${e.message}`);
    throw e;
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
  }
  if (!entries) throw invalidArgument(`invalid build context upload: no ${MANIFEST_ENTRY}`);
  return { entries, placed };
}

function lstatOrNull(path: string): Stats | null {
  try {
    return lstatSync(path);
  } catch (e) {
    if (errnoCode(e) === 'ENOENT' || errnoCode(e) === 'ENOTDIR') return null;
    throw e;
  }
}

/**
 * A build's COPY may have hard-linked a context file into a layer (copy-files.ts): before its
 * mode or time changes in place, a linked file is replaced by a copy of its own, so the layer's
 * file never changes.
 */
export function ownInode(path: string): void {
  if (lstatSync(path).nlink <= 1) return;
  const tmp = `${path}.berth-own-${randomBytes(6).toString('hex')}`;
  try {
    copyFileSync(path, tmp, constants.COPYFILE_EXCL);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

/** Parent directories of `p` ('a/b/c' -> 'a', 'a/b'). */
function ancestors(p: string): string[] {
  const out: string[] = [];
  for (let i = p.indexOf('/'); i >= 0; i = p.indexOf('/', i + 1)) out.push(p.slice(0, i));
  return out;
}

/**
 * Makes `dest` (holding the context `previous` describes, or empty) hold exactly `entries`
 * (sorted parents first, as parseManifest returns them), taking changed contents from the
 * store. Throws CONTEXT_CONTENT_MISSING (409) before changing anything when a content is at
 * hand nowhere (the store lost it since the client asked): the client asks again. `changing`
 * is called once, before the first change to `dest` (the pool then forgets its index until
 * it is given back whole); a context that did not change is not written at all.
 *
 * The index of the kept directory is trusted as the truth about it: only the daemon writes
 * there and builds only read it (RUN bind mounts of the context are read-only or overlays),
 * so an unchanged file costs no system call.
 */
export function applyManifest(
  dest: string,
  entries: readonly ManifestEntry[],
  previous: ContextIndex | undefined,
  store: ContextStore,
  changing: () => void = () => {},
  /** Files the upload already wrote at their path (receiveUpload's `into`, only for a new directory). */
  placed: ReadonlyMap<string, string> = new Map(),
): ExtractContextResult {
  const root = dest.endsWith('/') ? dest : `${dest}/`;
  const abs = (p: string) => root + p; // p is clean (parseManifest)
  let changed = false;
  const change = () => {
    if (!changed) changing();
    changed = true;
  };
  const byPath = new Map(entries.map((e) => [e.p, e]));
  const dirs = new Map<string, ManifestEntry | undefined>(); // named or implied
  for (const e of entries) {
    for (const a of ancestors(e.p)) if (!dirs.has(a)) dirs.set(a, byPath.get(a));
    if (e.t === 'd') dirs.set(e.p, e);
  }
  // 1. Files whose content stays: the kept directory has it at that path. Every other file's
  // content comes from the store; one the kept directory holds at another path (a rename) is
  // copied into the store first, before anything moves.
  const kept = (e: ManifestEntry) => {
    const prev = previous?.get(e.p);
    return prev?.t === 'f' && prev.d === e.d && prev.s === e.s;
  };
  const uses = new Map<string, number>();
  const inPrevious = new Map<string, string>();
  if (previous) for (const [p, e] of previous) if (e.t === 'f' && e.d) inPrevious.set(e.d, p);
  const inPlace = (e: ManifestEntry) => placed.get(e.p) === e.d;
  const placedAt = new Map<string, string>();
  for (const [p, d] of placed) placedAt.set(d, p);
  for (const e of entries) if (e.t === 'f' && !kept(e) && !inPlace(e)) uses.set(e.d!, (uses.get(e.d!) ?? 0) + 1);
  const missing: string[] = [];
  for (const d of uses.keys()) {
    if (store.has(d)) continue;
    if (placedAt.has(d)) {
      store.stageCopy(abs(placedAt.get(d)!), d); // the same content at another path too
      continue;
    }
    const from = inPrevious.get(d);
    if (from !== undefined && lstatOrNull(abs(from))?.isFile()) store.stageCopy(abs(from), d);
    else missing.push(d);
  }
  if (missing.length)
    throw conflict(`build context content missing on the daemon (${missing.length} files): send the context again`, undefined, {
      code: 'CONTEXT_CONTENT_MISSING',
      detail: { missing },
    });

  // 2. What the manifest no longer names, or names as another kind, goes (shallowest first).
  if (previous) {
    const stale: string[] = [];
    for (const [p, pe] of previous) {
      const t = byPath.get(p)?.t ?? (dirs.has(p) ? 'd' : undefined);
      if (t !== pe.t) stale.push(p);
    }
    stale.sort((a, b) => ancestors(a).length - ancestors(b).length);
    const gone: string[] = [];
    for (const p of stale) {
      if (gone.some((g) => p.startsWith(g + '/'))) continue;
      if (ancestors(p).some((a) => !lstatOrNull(abs(a))?.isDirectory())) continue; // under something replaced
      change();
      rmSync(abs(p), { recursive: true, force: true });
      gone.push(p);
    }
  }

  // 3. Directories, named or implied, parents first: each is checked to be a real directory
  // (never a symlink) before anything goes in it.
  const index: ContextIndex = new Map();
  const dirList = [...dirs.keys()].sort((a, b) => ancestors(a).length - ancestors(b).length);
  const retime = new Set<string>(); // directories whose time must be set again
  for (const p of dirList) {
    const e = dirs.get(p);
    const mode = e?.m ?? 0o755;
    let st = lstatOrNull(abs(p));
    if (st && !st.isDirectory()) {
      change();
      rmSync(abs(p), { force: true });
      st = null;
    }
    if (!st) {
      change();
      mkdirSync(abs(p), mode);
    }
    if (!st || (st.mode & 0o7777) !== mode) {
      change();
      chmodSync(abs(p), mode);
    }
    if (e && (!st || Math.abs(st.mtimeMs - e.mt) >= 1)) retime.add(p); // utimes stores a Date's ms as 0.999…: not a change
    index.set(p, e ? { t: 'd', m: mode, mt: e.mt } : { t: 'd', m: 0o755 });
  }
  const touched = (p: string) => {
    const parent = p.lastIndexOf('/') < 0 ? '' : p.slice(0, p.lastIndexOf('/'));
    if (dirs.get(parent)) retime.add(parent);
  };

  // 4. Files and symlinks.
  const digests = new Map<string, string>();
  let reused = 0;
  let bytes = 0;
  for (const e of entries) {
    const target = abs(e.p);
    if (e.t === 'f') {
      bytes += e.s!;
      const prev = previous?.get(e.p);
      if (kept(e)) {
        reused++;
        if (prev!.m !== e.m || prev!.mt !== e.mt) {
          change(); // before the copy: a kill from here on leaves a directory without an index, discarded whole
          ownInode(target);
        }
        if (prev!.m !== e.m) {
          change();
          chmodSync(target, e.m);
        }
        if (prev!.mt !== e.mt) {
          change();
          utimesSync(target, new Date(e.mt), new Date(e.mt));
        }
      } else if (inPlace(e)) {
        change(); // written with its mode and time by receiveUpload
        touched(e.p);
      } else {
        change();
        rmSync(target, { recursive: true, force: true });
        const left = (uses.get(e.d!) ?? 1) - 1;
        uses.set(e.d!, left);
        store.place(e.d!, target, left === 0);
        chmodSync(target, e.m);
        utimesSync(target, new Date(e.mt), new Date(e.mt));
        touched(e.p);
      }
      digests.set(e.p, e.d!);
      index.set(e.p, { t: 'f', m: e.m, s: e.s, d: e.d, mt: e.mt });
    } else if (e.t === 'l') {
      const prev = previous?.get(e.p);
      if (!(prev?.t === 'l' && prev.l === e.l)) {
        change();
        rmSync(target, { recursive: true, force: true });
        symlinkSync(e.l!, target);
        try {
          lutimesSync(target, new Date(e.mt), new Date(e.mt));
        } catch {
          // some filesystems refuse symlink times; they are not part of the cache key
        }
        touched(e.p);
      }
      index.set(e.p, { t: 'l', m: 0o777, l: e.l, mt: e.mt });
    }
  }
  // 5. Directory times last (creating entries changed them), deepest first, never through a link.
  for (const p of dirList.reverse()) {
    const mt = dirs.get(p)?.mt;
    if (mt === undefined || !retime.has(p)) continue;
    change();
    lutimesSync(abs(p), new Date(mt), new Date(mt));
  }
  return { entries: entries.length, bytes, ignorePatterns: [], removed: 0, digests, index, reused, buildFilesIgnored: [] };
}
