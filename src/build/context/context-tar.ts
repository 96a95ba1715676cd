// Unpacks a build context tar (POST /build body: plain or gzip) into a directory. The stream
// is hostile: names that are absolute or contain `..` are rejected, symlinks are created but
// never followed out of the root, hard links must point at regular files already inside, and
// entry/byte limits bound the work. .dockerignore is applied afterwards (API callers may not).
import { createWriteStream } from 'node:fs';
import { chmod, lstat, lutimes, mkdir, readFile, readdir, rm, rmdir, link, symlink, utimes } from 'node:fs/promises';
import { posix } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import tarStream from 'tar-stream';
import { errnoCode, invalidArgument } from '../../lib/errors.js';
import { resolveInRoot } from '../../lib/safe-path.js';
import { decompressed } from '../../lib/tar-input.js';
import { ignoreFileCandidates, parseDockerignore, PatternMatcher, withAlwaysSent } from '../../lib/dockerignore.js';

export interface ExtractContextOptions {
  maxEntries?: number; // default 1,000,000
  maxBytes?: number; // total file bytes, default 16 GiB
  dockerfile?: string; // context-relative Dockerfile path (default "Dockerfile")
  applyDockerignore?: boolean; // default true
  signal?: AbortSignal;
}

export interface ExtractContextResult {
  entries: number;
  bytes: number;
  ignorePatterns: string[]; // patterns applied (empty when none)
  ignoreFile?: string; // which ignore file was used
  removed: number; // entries removed by the ignore patterns
}

/** Cleans a tar entry name to a context-relative path, or throws for a hostile one. */
export function contextEntryName(raw: string): string {
  if (raw.includes('\0')) throw invalidArgument(`invalid build context entry name: ${JSON.stringify(raw)}`);
  if (raw.startsWith('/')) throw invalidArgument(`invalid build context entry: absolute path ${JSON.stringify(raw)}`);
  const parts = raw.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw invalidArgument(`invalid build context entry: path ${JSON.stringify(raw)} contains ".."`);
  return parts.join('/');
}

async function removeExisting(path: string, keepDir: boolean): Promise<void> {
  try {
    const st = await lstat(path);
    if (st.isDirectory() && keepDir) return;
    await rm(path, { recursive: true, force: true });
  } catch (e) {
    if (errnoCode(e) !== 'ENOENT') throw e;
  }
}

export async function extractContext(input: Readable | AsyncIterable<Buffer>, dest: string, options: ExtractContextOptions = {}): Promise<ExtractContextResult> {
  const maxEntries = options.maxEntries ?? 1_000_000;
  const maxBytes = options.maxBytes ?? 16 * 1024 ** 3;
  await mkdir(dest, { recursive: true });
  const { stream } = await decompressed(input);
  const extract = tarStream.extract();
  const onAbort = () => extract.destroy(new Error('build context upload aborted'));
  options.signal?.addEventListener('abort', onAbort, { once: true });
  const feeding = pipeline(stream, extract).catch((e: unknown) => extract.destroy(e as Error));
  let entries = 0;
  let bytes = 0;
  const dirTimes: Array<[string, Date]> = [];
  try {
    for await (const entry of extract) {
      const h = entry.header;
      if (++entries > maxEntries) throw invalidArgument(`build context has more than ${maxEntries} entries`);
      const name = contextEntryName(h.name);
      if (name === '') {
        entry.resume();
        continue;
      }
      const parent = await resolveInRoot(dest, posix.dirname(name));
      await mkdir(parent, { recursive: true });
      const target = posix.join(parent, posix.basename(name));
      const mode = (h.mode ?? 0o644) & 0o7777;
      switch (h.type) {
        case 'directory':
          entry.resume();
          await removeExisting(target, true);
          await mkdir(target, { recursive: true });
          await chmod(target, mode);
          if (h.mtime) dirTimes.push([target, h.mtime]);
          break;
        case 'file':
        case 'contiguous-file': {
          bytes += h.size ?? 0;
          if (bytes > maxBytes) throw invalidArgument(`build context is larger than ${maxBytes} bytes`);
          await removeExisting(target, false);
          await pipeline(entry, createWriteStream(target, { flags: 'wx', mode }));
          await chmod(target, mode);
          if (h.mtime) await utimes(target, h.mtime, h.mtime);
          break;
        }
        case 'symlink':
          entry.resume();
          await removeExisting(target, false);
          await symlink(h.linkname ?? '', target);
          if (h.mtime) await lutimes(target, h.mtime, h.mtime).catch(() => undefined);
          break;
        case 'link': {
          entry.resume();
          const src = await resolveInRoot(dest, contextEntryName(h.linkname ?? ''), false);
          const st = await lstat(src).catch(() => undefined);
          if (!st?.isFile()) throw invalidArgument(`invalid build context entry: hard link ${JSON.stringify(h.name)} to ${JSON.stringify(h.linkname)}`);
          await removeExisting(target, false);
          await link(src, target);
          break;
        }
        default:
          entry.resume(); // devices, fifos: meaningless in a build context
      }
    }
    await feeding;
  } catch (e) {
    extract.destroy();
    stream.destroy();
    throw e;
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
  }
  for (const [d, t] of dirTimes.reverse()) await utimes(d, t, t).catch(() => undefined);

  const result: ExtractContextResult = { entries, bytes, ignorePatterns: [], removed: 0 };
  if (options.applyDockerignore === false) return result;
  const dockerfile = options.dockerfile ?? 'Dockerfile';
  for (const cand of ignoreFileCandidates(dockerfile)) {
    let text: string;
    try {
      const p = await resolveInRoot(dest, cand);
      if (!(await lstat(p)).isFile()) continue;
      text = await readFile(p, 'utf8');
    } catch (e) {
      if (errnoCode(e) === 'ENOENT' || errnoCode(e) === 'ENOTDIR') continue;
      throw e;
    }
    result.ignoreFile = cand;
    result.ignorePatterns = parseDockerignore(text);
    break;
  }
  if (result.ignorePatterns.length) {
    const pm = new PatternMatcher(withAlwaysSent(result.ignorePatterns, dockerfile, result.ignoreFile));
    result.removed = await prune(dest, '', pm);
  }
  return result;
}

// Removes excluded entries depth-first; an excluded directory goes only once it is empty
// (a later `!exception` may have kept something inside it).
async function prune(root: string, rel: string, pm: PatternMatcher): Promise<number> {
  let removed = 0;
  for (const d of await readdir(posix.join(root, rel), { withFileTypes: true })) {
    const r = rel ? `${rel}/${d.name}` : d.name;
    const abs = posix.join(root, r);
    if (d.isDirectory()) {
      removed += await prune(root, r, pm);
      if (pm.matches(r)) {
        try {
          await rmdir(abs);
          removed++;
        } catch (e) {
          if (errnoCode(e) !== 'ENOTEMPTY' && errnoCode(e) !== 'EEXIST') throw e;
        }
      }
    } else if (pm.matches(r)) {
      await rm(abs, { force: true });
      removed++;
    }
  }
  return removed;
}
