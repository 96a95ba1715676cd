// cp: CONTAINER:SRC_PATH DEST_PATH|-  and  SRC_PATH|- CONTAINER:DEST_PATH, over the archive API,
// with the docker CLI's copy rules (archive.CopyTo / PrepareArchiveCopy): into an existing
// directory keeps the source's name; to a new name renames the root; "dir/." copies contents.
import { lstatSync, statSync } from 'node:fs';
import { posix, resolve } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { decodePathStat } from '../../api/client/docker-client.js';
import { isApiError } from '../../api/client/errors.js';
import { StatusError } from '../cli-error.js';
import type { CliContext } from '../context.js';
import { extractTo, packPath, splitPathDirEntry } from '../cp-archive.js';
import { newCommand, parse } from '../flags.js';
import { goErrno } from '../../client/go-fs.js';

/** "ctr:/path" → [ctr, path]; a local path (absolute, ./, or without a colon) → [undefined, path]. */
export function splitCpArg(arg: string): [string | undefined, string] {
  if (arg.startsWith('/') || arg.startsWith('.')) return [undefined, arg];
  const i = arg.indexOf(':');
  return i > 0 ? [arg.slice(0, i), arg.slice(i + 1)] : [undefined, arg];
}

/** filepath.Abs keeping a trailing "/" or "/." (archive.PreserveTrailingDotOrSeparator). */
function localAbs(p: string): string {
  const abs = resolve(p);
  if (p.endsWith('/.') || p === '.') return `${abs === '/' ? '' : abs}/.`;
  if (p.endsWith('/') && abs !== '/') return `${abs}/`;
  return abs;
}

const GO_DIR = 0x80000000;
const assertsDirectory = (p: string) => p.endsWith('/') || p.endsWith('/.') || p === '.';

async function fromContainer(ctx: CliContext, ctr: string, src: string, dst: string): Promise<void> {
  if (dst !== '-') {
    dst = localAbs(dst);
    const dir = posix.dirname(posix.normalize(dst).replace(/\/+$/, '') || '/');
    try {
      statSync(dir);
    } catch {
      throw new Error(`invalid output path: directory ${JSON.stringify(dir)} does not exist`);
    }
  }
  const res = await ctx.docker.containerArchiveGet(ctr, src);
  if (dst === '-') {
    await pipeline(res, ctx.io.stdout);
    return;
  }
  const stat = decodePathStat(res.headers['x-docker-container-path-stat']);
  const srcIsDir = (stat.mode & GO_DIR) !== 0;
  let exists = false;
  let dstIsDir = false;
  try {
    const st = statSync(dst);
    exists = true;
    dstIsDir = st.isDirectory();
  } catch {
    /* a new name */
  }
  const [dstDir, dstBase] = splitPathDirEntry(dst);
  const [, srcBase] = splitPathDirEntry(src);
  if (exists && dstIsDir) return extractTo(res, dst);
  res.on('error', () => {});
  if (exists && srcIsDir) {
    res.destroy();
    throw new Error('cannot copy directory');
  }
  if (!exists && !srcIsDir && assertsDirectory(dst)) {
    res.destroy();
    throw new Error('no such directory');
  }
  return extractTo(res, dstDir, srcBase, dstBase);
}

async function toContainer(ctx: CliContext, src: string, ctr: string, dst: string, o: { archive?: boolean; followLink?: boolean }): Promise<void> {
  const docker = ctx.docker;
  let exists = false;
  let dstIsDir = false;
  try {
    const st = await docker.containerArchiveStat(ctr, dst);
    exists = true;
    dstIsDir = (st.mode & GO_DIR) !== 0;
  } catch (e) {
    if (!isApiError(e, 404)) throw e;
  }
  const put = (path: string, body: Readable) => docker.containerArchivePut(ctr, path, body, { noOverwriteDirNonDir: true, copyUIDGID: o.archive });
  if (src === '-') {
    if (!dstIsDir) throw new Error(`destination "${ctr}:${dst}" must be a directory`);
    return put(dst, ctx.io.stdin as Readable);
  }
  const abs = localAbs(src);
  let st;
  try {
    st = o.followLink ? statSync(abs) : lstatSync(abs);
  } catch (e) {
    throw new Error(`${o.followLink ? 'stat' : 'lstat'} ${abs}: ${goErrno(e)}`);
  }
  const srcIsDir = st.isDirectory();
  const [, srcBase] = splitPathDirEntry(abs);
  const [dstDir, dstBase] = splitPathDirEntry(dst);
  const pack = (rebase?: [string, string]) => packPath(abs, srcBase, !!o.followLink, rebase).pipe(new PassThrough()) as Readable;
  if (exists && dstIsDir) return put(dst, pack());
  if (exists && srcIsDir) throw new Error('cannot copy directory');
  if (!exists && !srcIsDir && assertsDirectory(dst)) throw new Error('no such directory');
  return put(dstDir, pack([srcBase, dstBase]));
}

export async function cp(ctx: CliContext, argv: string[]): Promise<number> {
  const c = newCommand(ctx, {
    name: 'cp',
    usage: '[OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-\n\tdocker cp [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH',
    description: 'Copy files/folders between a container and the local filesystem',
    exactArgs: 2,
  })
    .option('-a, --archive', 'Archive mode (copy all uid/gid information)')
    .option('-L, --follow-link', 'Always follow symbol link in SRC_PATH')
    .option('-q, --quiet', 'Suppress progress output during copy');
  const p = parse<{ archive?: boolean; followLink?: boolean }>(ctx, c, argv);
  if (!p) return 0;
  const [sc, sp] = splitCpArg(p.args[0]!);
  const [dc, dp] = splitCpArg(p.args[1]!);
  if (sc && dc) throw new StatusError(1, 'copying between containers is not supported');
  if (!sc && !dc) throw new StatusError(1, 'must specify at least one container source');
  if (sc) await fromContainer(ctx, sc, sp, dp);
  else await toContainer(ctx, sp, dc!, dp, p.opts);
  return 0;
}
