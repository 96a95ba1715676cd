// cp: CONTAINER:SRC_PATH DEST_PATH|-  and  SRC_PATH|- CONTAINER:DEST_PATH, over the archive API.
import { createReadStream, createWriteStream, lstatSync, mkdirSync, readdirSync, readlinkSync, statSync, symlinkSync, type Stats } from 'node:fs';
import { basename, dirname, join, posix, resolve } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { isApiError } from '../../api/client/errors.js';
import { StatusError } from '../cli-error.js';
import type { CliContext } from '../context.js';
import { newCommand, parse } from '../flags.js';

/** "ctr:/path" → [ctr, path]; a local path (absolute, ./, or without a colon) → [undefined, path]. */
export function splitCpArg(arg: string): [string | undefined, string] {
  if (arg.startsWith('/') || arg.startsWith('.')) return [undefined, arg];
  const i = arg.indexOf(':');
  return i > 0 ? [arg.slice(0, i), arg.slice(i + 1)] : [undefined, arg];
}

async function extractTo(src: Readable, dest: string, renameRoot?: string): Promise<void> {
  const ex = tar.extract();
  const done = new Promise<void>((res, rej) => { ex.on('finish', res); ex.on('error', rej); });
  ex.on('entry', (h, stream, next) => {
    let name = h.name.replace(/^\.?\/+/, '');
    if (renameRoot !== undefined) { const parts = name.split('/'); parts[0] = renameRoot; name = parts.join('/'); }
    const target = resolve(dest, name);
    if (!target.startsWith(resolve(dest))) { stream.resume(); next(); return; }
    const finish = (e?: unknown) => { if (e) ex.destroy(e as Error); else next(); };
    try {
      if (h.type === 'directory') { mkdirSync(target, { recursive: true, mode: h.mode }); stream.resume(); stream.on('end', () => finish()); }
      else if (h.type === 'symlink') { mkdirSync(dirname(target), { recursive: true }); symlinkSync(h.linkname!, target); stream.resume(); stream.on('end', () => finish()); }
      else if (h.type === 'file') { mkdirSync(dirname(target), { recursive: true }); pipeline(stream, createWriteStream(target, { mode: h.mode })).then(() => finish(), finish); }
      else { stream.resume(); stream.on('end', () => finish()); }
    } catch (e) { finish(e); }
  });
  src.pipe(ex);
  await done;
}

function packPath(path: string, root: string, follow: boolean): Readable {
  const pack = tar.pack();
  const add = async (abs: string, name: string, st: Stats): Promise<void> => {
    const base = { name, mode: st.mode & 0o7777, mtime: st.mtime, uid: st.uid, gid: st.gid };
    if (st.isDirectory()) {
      pack.entry({ ...base, type: 'directory' });
      for (const n of readdirSync(abs).sort()) { const p = join(abs, n); await add(p, `${name}/${n}`, lstatSync(p)); }
    } else if (st.isSymbolicLink()) pack.entry({ ...base, type: 'symlink', linkname: readlinkSync(abs) });
    else if (st.isFile()) {
      await new Promise<void>((res, rej) => {
        const e = pack.entry({ ...base, size: st.size, type: 'file' }, (err) => (err ? rej(err) : res()));
        createReadStream(abs).on('error', rej).pipe(e);
      });
    }
  };
  add(path, root, follow ? statSync(path) : lstatSync(path)).then(() => pack.finalize(), (e: Error) => pack.destroy(e));
  return pack as unknown as Readable;
}

export async function cp(ctx: CliContext, argv: string[]): Promise<number> {
  const c = newCommand(ctx, { name: 'cp', usage: '[OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-\n\tdocker cp [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH', description: 'Copy files/folders between a container and the local filesystem', exactArgs: 2 })
    .option('-a, --archive', 'Archive mode (copy all uid/gid information)')
    .option('-L, --follow-link', 'Always follow symbol link in SRC_PATH')
    .option('-q, --quiet', 'Suppress progress output during copy');
  const p = parse<{ archive?: boolean; followLink?: boolean }>(ctx, c, argv);
  if (!p) return 0;
  const [sc, sp] = splitCpArg(p.args[0]!);
  const [dc, dp] = splitCpArg(p.args[1]!);
  if (sc && dc) throw new StatusError(1, 'copying between containers is not supported');
  if (!sc && !dc) throw new StatusError(1, 'must specify at least one container source');
  const docker = ctx.docker;
  if (sc) {
    const res = await docker.containerArchiveGet(sc, sp);
    if (dp === '-') { await pipeline(res, ctx.io.stdout); return 0; }
    let destIsDir = false;
    try { destIsDir = statSync(dp).isDirectory(); } catch { /* does not exist: copy under the new name */ }
    if (destIsDir) await extractTo(res, dp);
    else await extractTo(res, dirname(resolve(dp)), basename(dp));
    return 0;
  }
  let body: Readable;
  let target = dp;
  if (sp === '-') body = ctx.io.stdin as Readable;
  else {
    let dstDir = false;
    try { const st = await docker.containerArchiveStat(dc!, dp); dstDir = (st.mode & 0x80000000) !== 0 || (st.mode & 0o170000) === 0o040000; } catch (e) { if (!isApiError(e, 404)) throw e; }
    const name = dstDir ? basename(resolve(sp)) : posix.basename(dp);
    if (!dstDir) target = posix.dirname(dp) || '/';
    body = packPath(sp, name, !!p.opts.followLink).pipe(new PassThrough()) as Readable;
  }
  await docker.containerArchivePut(dc!, target, body, { copyUIDGID: p.opts.archive });
  return 0;
}
