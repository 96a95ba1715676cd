// COPY/ADD file operations into a mounted rootfs. Sources come from a directory the caller
// trusts to be a root (the extracted context, or another stage's or image's mounted view);
// every destination path is resolved inside the rootfs (src/lib/safe-path.ts), so symlinks in
// the image can never redirect a write outside it, and an existing symlink at a destination is
// replaced, not followed.
import {
  chmodSync,
  chownSync,
  copyFileSync,
  createReadStream,
  lchownSync,
  linkSync,
  lstatSync,
  lutimesSync,
  mkdirSync,
  readdirSync,
  readlinkSync,
  symlinkSync,
  unlinkSync,
  utimesSync,
} from 'node:fs';
import { chmod, chown, lchown, lstat, mkdir, open, readdir, unlink, utimes } from 'node:fs/promises';
import { posix } from 'node:path';
import { createGunzip } from 'node:zlib';
import { errnoCode, internal, invalidArgument, notFound } from '../../lib/errors.js';
import { cannotDetermineFilename } from '../../lib/docker-messages.js';
import { resolveInRoot } from '../../lib/safe-path.js';
import { detectCompression } from '../../lib/compression.js';
import { extractContext } from '../context/context-tar.js';
import { PatternMatcher } from '../../lib/dockerignore.js';
import { matchSources } from '../context/hash-paths.js';
import { entrySource, matchParents } from '../context/parents-match.js';
import { isUrlSource, type Download } from './add-url.js';
import type { Owner } from './chown.js';

export interface CopySpec {
  /** Root the sources are relative to. */
  srcRoot: string;
  sources: string[];
  /** Absolute destination inside the rootfs (already joined with WORKDIR). */
  dest: string;
  /** The destination was written with a trailing slash (or is "."): it names a directory. */
  destIsDir: boolean;
  owner: Owner;
  chmod?: number;
  exclude?: string[];
  /** ADD: extract local tar archives (plain or compressed) instead of copying them. */
  extractArchives?: boolean;
  /** Who owns what an archive unpacks: the container's root on the host (the remapped root under --userns-remap); absent: root. */
  archiveOwner?: Owner;
  /** COPY --parents: each source keeps its path (after a `/./` pivot) below dest. */
  parents?: boolean;
  /** ADD <url>: the URL sources, already downloaded (add-url.ts), in source order. */
  downloads?: readonly Download[];
  /** ADD --unpack=true: extract downloaded tar archives too (BuildKit; off by default for URLs). */
  unpackDownloads?: boolean;
  instruction: 'COPY' | 'ADD';
  /**
   * The upper dir of the overlay mounted at the rootfs. Given only when nothing will change the
   * files under srcRoot in place (the build context: berthd replaces a context file, never
   * rewrites it, once it has other links): a file that would come out identical (same owner, and
   * mode) is then hard-linked into the upper dir instead of copied, so the step's layer shares
   * the context's bytes and a COPY writes nothing but directory entries.
   */
  linkUpper?: string;
}

/** Creates `rel` and missing parents inside the rootfs; new directories get `owner`. */
async function mkdirAll(rootfs: string, rel: string, owner: Owner): Promise<string> {
  const parts = rel.split('/').filter(Boolean);
  let cur = rootfs;
  for (let i = 1; i <= parts.length; i++) {
    cur = await resolveInRoot(rootfs, parts.slice(0, i).join('/'));
    const st = await lstat(cur).catch(() => undefined);
    if (st?.isDirectory()) continue;
    if (st) throw invalidArgument(`failed to copy files: mkdir ${'/' + parts.slice(0, i).join('/')}: not a directory`);
    await mkdir(cur, { mode: 0o755 });
    await chown(cur, owner.uid, owner.gid);
  }
  return cur;
}

/** The host path to write `rel` at: parent resolved inside the rootfs, last part not followed. */
async function targetPath(rootfs: string, rel: string): Promise<string> {
  const parent = await resolveInRoot(rootfs, posix.dirname(rel));
  return posix.join(parent, posix.basename(rel));
}

async function removeNonDir(p: string): Promise<void> {
  const st = await lstat(p).catch(() => undefined);
  if (st && !st.isDirectory()) await unlink(p);
}

interface Ctx {
  spec: CopySpec;
  rootfs: string;
  exclude?: PatternMatcher;
  link?: LinkInto;
}

/**
 * Hard links from the context into the overlay's upper dir. A link made behind the overlay's back
 * is invisible to the mounted view (its cached lookup said "no such file"), so a later write to
 * the same path in this COPY first removes the link from the upper dir (`forget`); nothing else
 * reads the view before the commit unmounts it.
 */
interface LinkInto {
  srcRoot: string;
  upper: string;
  linked: Set<string>;
}

function upperPath(c: Ctx, target: string): string | undefined {
  return c.link && target.startsWith(c.rootfs + '/') ? c.link.upper + target.slice(c.rootfs.length) : undefined;
}

/** Hard-links `srcAbs` to `target`'s place in the upper dir; false (and no more tries in this COPY on a different filesystem) when it cannot. */
function tryLink(c: Ctx, srcAbs: string, target: string): boolean {
  const up = upperPath(c, target);
  if (!up) return false;
  try {
    linkSync(srcAbs, up);
  } catch (e) {
    if (errnoCode(e) === 'EXDEV' || errnoCode(e) === 'EPERM') c.link = undefined;
    return false; // ENOENT: the parent is only in a lower layer until something copies it up; EEXIST: not ours to replace
  }
  c.link!.linked.add(target);
  return true;
}

/** Before a path this COPY linked is written again through the view: the link goes from the upper dir. */
function forgetLink(c: Ctx, target: string): void {
  if (!c.link?.linked.delete(target)) return;
  unlinkSync(upperPath(c, target)!);
}

/**
 * Copies one source entry to `destRel`. The walk below it runs on synchronous system calls (a
 * COPY of 2000 files made ~20000 thread-pool round trips one after another, which a loaded
 * machine stretched to 20-30 s), giving the event loop a turn every few milliseconds. Only the
 * entry's own parent is resolved inside the rootfs; below it each directory is one this walk
 * made or found to be a real directory (lstat), so a child's path is a plain join.
 */
async function copyEntry(c: Ctx, srcAbs: string, srcRel: string, destRel: string): Promise<void> {
  await copyTree(c, srcAbs, srcRel, await targetPath(c.rootfs, destRel), destRel, { at: performance.now() });
}

const YIELD_EVERY_MS = 5;

async function copyTree(
  c: Ctx,
  srcAbs: string,
  srcRel: string,
  target: string,
  destRel: string,
  turn: { at: number },
  /** `target`'s parent was made by this walk: nothing is at `target` yet (no lstat through the overlay to ask). */
  fresh = false,
): Promise<void> {
  if (c.exclude && srcRel && c.exclude.matches(srcRel)) return;
  if (performance.now() - turn.at > YIELD_EVERY_MS) {
    await new Promise<void>((resolve) => setImmediate(resolve));
    turn.at = performance.now();
  }
  const st = lstatSync(srcAbs);
  const { owner } = c.spec;
  forgetLink(c, target);
  if (st.isDirectory()) {
    const existing = fresh ? undefined : lstatSync(target, { throwIfNoEntry: false });
    if (existing && !existing.isDirectory()) unlinkSync(target);
    const made = !existing?.isDirectory();
    if (made) mkdirSync(target, { mode: st.mode & 0o7777 });
    chownSync(target, owner.uid, owner.gid);
    chmodSync(target, c.spec.chmod ?? st.mode & 0o7777);
    for (const name of readdirSync(srcAbs)) {
      await copyTree(c, posix.join(srcAbs, name), srcRel ? `${srcRel}/${name}` : name, posix.join(target, name), `${destRel}/${name}`, turn, made);
    }
    utimesSync(target, st.atime, st.mtime);
  } else if (st.isFile()) {
    const existing = fresh ? undefined : lstatSync(target, { throwIfNoEntry: false });
    if (existing?.isDirectory()) throw invalidArgument(`failed to copy files: cannot overwrite directory ${destRel} with non-directory`);
    if (
      !existing &&
      c.link &&
      st.nlink === 1 && // a file already linked elsewhere (a tar context's hard link) keeps being copied, as before
      st.uid === owner.uid &&
      st.gid === owner.gid &&
      (c.spec.chmod ?? st.mode & 0o7777) === (st.mode & 0o7777) &&
      srcAbs.startsWith(c.link.srcRoot + '/') &&
      tryLink(c, srcAbs, target)
    )
      return; // the same inode: owner, mode and times are already the source's
    if (existing) unlinkSync(target);
    copyFileSync(srcAbs, target);
    chownSync(target, owner.uid, owner.gid);
    chmodSync(target, c.spec.chmod ?? st.mode & 0o7777);
    utimesSync(target, st.atime, st.mtime);
  } else if (st.isSymbolicLink()) {
    const existing = fresh ? undefined : lstatSync(target, { throwIfNoEntry: false });
    if (existing && !existing.isDirectory()) unlinkSync(target);
    symlinkSync(readlinkSync(srcAbs), target);
    lchownSync(target, owner.uid, owner.gid);
    try {
      lutimesSync(target, st.atime, st.mtime);
    } catch {
      // some filesystems refuse symlink times
    }
  }
  // devices, fifos, sockets: never copied from a context
}

/** Reads a file's first bytes (decompressed when gzip) to see if it is a tar archive. */
async function isTarArchive(path: string): Promise<boolean> {
  const fh = await open(path, 'r');
  let head: Buffer;
  try {
    head = Buffer.alloc(512);
    const { bytesRead } = await fh.read(head, 0, 512, 0);
    head = head.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
  if (detectCompression(head) === 'gzip') {
    head = await new Promise<Buffer>((resolve) => {
      const chunks: Buffer[] = [];
      let n = 0;
      const gz = createReadStream(path).pipe(createGunzip());
      const done = () => {
        gz.destroy();
        resolve(Buffer.concat(chunks).subarray(0, 512));
      };
      gz.on('data', (c: Buffer) => {
        chunks.push(c);
        n += c.length;
        if (n >= 512) done();
      });
      gz.on('end', done);
      gz.on('error', done);
    });
  }
  return head.length >= 262 && head.subarray(257, 262).toString('latin1') === 'ustar';
}

/** A downloaded file (mode 0600, Last-Modified mtime) goes in as is; extracted only with --unpack=true. */
async function copyDownload(c: Ctx, d: Download, destRel: string): Promise<void> {
  const destStat = await lstat(await resolveInRoot(c.rootfs, destRel)).catch(() => undefined);
  if (c.spec.unpackDownloads && (await isTarArchive(d.path))) {
    const dir = await mkdirAll(c.rootfs, destRel, c.spec.owner);
    await extractContext(createReadStream(d.path), dir, { applyDockerignore: false });
    return;
  }
  if (c.spec.destIsDir || destStat?.isDirectory()) {
    if (!d.name) throw cannotDetermineFilename(d.url);
    await mkdirAll(c.rootfs, destRel, c.spec.owner);
    await copyEntry(c, d.path, '', destRel ? `${destRel}/${d.name}` : d.name);
  } else {
    await mkdirAll(c.rootfs, posix.dirname(destRel) === '.' ? '' : posix.dirname(destRel), c.spec.owner);
    await copyEntry(c, d.path, '', destRel);
  }
}

/**
 * COPY --parents: every entry lands at dest/<path below its pivot>. The directories on the way
 * are copied from their source directories (mode, --chown, --chmod, times) like the entry's own.
 */
async function copyParents(c: Ctx, destRel: string): Promise<void> {
  const { spec, rootfs } = c;
  await mkdirAll(rootfs, destRel, spec.owner);
  const join = (rel: string) => (destRel && rel ? `${destRel}/${rel}` : destRel || rel);
  const dirTimes = new Map<string, { target: string; atime: Date; mtime: Date }>();
  for (const e of await matchParents(
    spec.srcRoot,
    spec.sources.filter((s) => !isUrlSource(s)),
  )) {
    const src = entrySource(e);
    if (c.exclude && src && c.exclude.matches(src)) continue;
    const parts = e.rel.split('/').filter(Boolean);
    for (let i = 1; i < parts.length; i++) {
      const rel = parts.slice(0, i).join('/');
      const st = await lstat(posix.join(spec.srcRoot, e.base, rel));
      const target = await targetPath(rootfs, join(rel));
      forgetLink(c, target);
      const existing = await lstat(target).catch(() => undefined);
      if (existing && !existing.isDirectory()) await unlink(target);
      if (!existing?.isDirectory()) await mkdir(target, { mode: st.mode & 0o7777 });
      await chown(target, spec.owner.uid, spec.owner.gid);
      await chmod(target, spec.chmod ?? st.mode & 0o7777);
      dirTimes.set(target, { target, atime: st.atime, mtime: st.mtime });
    }
    const abs = posix.join(spec.srcRoot, src);
    if (e.rel) await copyEntry(c, abs, src, join(e.rel));
    else for (const name of await readdir(abs)) await copyEntry(c, posix.join(abs, name), src ? `${src}/${name}` : name, join(name));
  }
  // Deepest first, after every write below them.
  for (const d of [...dirTimes.values()].sort((a, b) => b.target.length - a.target.length)) await utimes(d.target, d.atime, d.mtime);
}

/** Copies the sources into the mounted rootfs at spec.dest. */
export async function copyInto(rootfs: string, spec: CopySpec): Promise<void> {
  const urls = spec.sources.filter(isUrlSource);
  if (urls.length && spec.instruction === 'COPY') throw invalidArgument("source can't be a URL for COPY");
  const downloads = spec.downloads ?? [];
  if (downloads.length !== urls.length) throw internal(`ADD: ${urls.length} URL sources but ${downloads.length} downloads`);
  const local = spec.sources.filter((s) => !isUrlSource(s));
  const c: Ctx = {
    spec,
    rootfs: rootfs.replace(/\/+$/, ''),
    exclude: spec.exclude?.length ? new PatternMatcher(spec.exclude) : undefined,
    link: spec.linkUpper ? { srcRoot: spec.srcRoot.replace(/\/+$/, ''), upper: spec.linkUpper.replace(/\/+$/, ''), linked: new Set() } : undefined,
  };
  const destRel = posix.normalize(spec.dest).replace(/^\/+/, '').replace(/\/+$/, '');
  if (spec.parents) return copyParents(c, destRel);
  const roots = local.length ? await matchSources(spec.srcRoot, local) : [];
  if ((spec.sources.length > 1 || roots.length > 1) && !spec.destIsDir) {
    throw invalidArgument(`When using ${spec.instruction} with more than one source file, the destination must be a directory and end with a /`);
  }
  for (const d of downloads) await copyDownload(c, d, destRel);
  for (const root of roots.sort()) {
    // A source that is a symlink is followed (inside its root), as the classic builder does.
    const abs = await resolveInRoot(spec.srcRoot, root, true);
    const st = await lstat(abs).catch((e) => {
      if (errnoCode(e) === 'ENOENT') throw notFound(`failed to compute cache key: "/${root}": not found`);
      throw e;
    });
    if (st.isDirectory()) {
      await mkdirAll(rootfs, destRel, spec.owner);
      for (const name of await readdir(abs)) await copyEntry(c, posix.join(abs, name), root ? `${root}/${name}` : name, destRel ? `${destRel}/${name}` : name);
      continue;
    }
    const destStat = await lstat(await resolveInRoot(rootfs, destRel)).catch(() => undefined);
    const intoDir = spec.destIsDir || destStat?.isDirectory() === true;
    if (spec.extractArchives && st.isFile() && (await isTarArchive(abs))) {
      const dir = await mkdirAll(rootfs, destRel, spec.owner);
      const { index } = await extractContext(createReadStream(abs), dir, { applyDockerignore: false });
      if (spec.archiveOwner) for (const rel of index.keys()) await lchown(posix.join(dir, rel), spec.archiveOwner.uid, spec.archiveOwner.gid);
      continue;
    }
    if (intoDir) {
      await mkdirAll(rootfs, destRel, spec.owner);
      // `root` as the source path: --exclude applies to a matched file too (as the cache key's hash does).
      await copyEntry(c, abs, root, destRel ? `${destRel}/${posix.basename(root)}` : posix.basename(root));
    } else {
      await mkdirAll(rootfs, posix.dirname(destRel) === '.' ? '' : posix.dirname(destRel), spec.owner);
      await copyEntry(c, abs, root, destRel);
    }
  }
}

/** Inline heredoc files (`COPY <<EOF /dest`): written like files named after the delimiter. */
export async function writeInline(
  rootfs: string,
  files: Array<{ name: string; data: string }>,
  dest: string,
  destIsDir: boolean,
  owner: Owner,
  mode: number | undefined,
): Promise<void> {
  if (files.length > 1 && !destIsDir)
    throw invalidArgument('When using COPY with more than one source file, the destination must be a directory and end with a /');
  const destRel = posix.normalize(dest).replace(/^\/+/, '').replace(/\/+$/, '');
  for (const f of files) {
    const rel = destIsDir ? `${destRel}/${f.name}` : destRel;
    await mkdirAll(rootfs, posix.dirname(rel) === '.' ? '' : posix.dirname(rel), owner);
    const target = await targetPath(rootfs, rel);
    await removeNonDir(target);
    const fh = await open(target, 'wx', mode ?? 0o644);
    try {
      await fh.writeFile(f.data);
    } finally {
      await fh.close();
    }
    await chown(target, owner.uid, owner.gid);
    await chmod(target, mode ?? 0o644);
  }
}
