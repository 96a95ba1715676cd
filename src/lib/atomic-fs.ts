// Writes that survive kill -9 at any moment: write a temp file beside the target, fsync it,
// rename it over the target, fsync the directory. Readers see the old or the new file, never half.
//
// A small file (a record, a config) is opened, written and closed with synchronous calls (tens of
// µs each: page-cache work) and only the calls that can wait on the disk or the journal go to
// libuv's thread pool: the two fsyncs and the rename (an ext4 rename over a file waited 0.2 ms
// typically, 2 ms at p90 and up to 90 ms under other writers' I/O, strace of berthd's main thread,
// bench/README.md session 21). Three round trips through the pool instead of eight; each costs the
// event loop a submission, a wake-up of a pool thread and a completion callback. A large file keeps
// the asynchronous path, so a big write never holds the loop.
import { closeSync, fsync, openSync, unlinkSync, writeSync } from 'node:fs';
import { open, rename, mkdir, unlink, readFile } from 'node:fs/promises';
import { dirname, join, basename } from 'node:path';
import { randomBytes } from 'node:crypto';
import { errnoCode } from './errors.js';

/** Up to this size a file is written with synchronous calls (see the top of the file). */
const SYNC_WRITE_MAX = 256 * 1024;

function fsyncFd(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fsync(fd, (e) => (e ? reject(e) : resolve())));
}

export async function writeFileAtomic(path: string, data: string | Buffer, mode = 0o644): Promise<void> {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const bytes = typeof data === 'string' && data.length <= SYNC_WRITE_MAX ? Buffer.from(data) : data;
  if (Buffer.isBuffer(bytes) && bytes.length <= SYNC_WRITE_MAX) return writeSmallFileAtomic(path, dir, tmp, bytes, mode);
  const fh = await open(tmp, 'w', mode);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => {});
    throw e;
  }
  await fsyncDir(dir);
}

async function writeSmallFileAtomic(path: string, dir: string, tmp: string, data: Buffer, mode: number): Promise<void> {
  const fd = openSync(tmp, 'w', mode);
  try {
    for (let off = 0; off < data.length; ) off += writeSync(fd, data, off);
    await fsyncFd(fd);
  } finally {
    closeSync(fd);
  }
  try {
    await rename(tmp, path);
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch {}
    throw e;
  }
  await fsyncDir(dir);
}

export async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  await writeFileAtomic(path, JSON.stringify(value));
}

/** Makes the directory's entries (a rename, a new file) durable. Opening and closing a directory are synchronous: only the fsync waits in the pool. */
export async function fsyncDir(dir: string): Promise<void> {
  const fd = openSync(dir, 'r');
  try {
    await fsyncFd(fd);
  } finally {
    closeSync(fd);
  }
}

export async function ensureDir(dir: string, mode = 0o700): Promise<void> {
  await mkdir(dir, { recursive: true, mode });
}

/** Reads JSON, or returns undefined when the file does not exist. */
export async function readJsonIfExists<T>(path: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T;
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') return undefined;
    throw e;
  }
}

/** Temp files left by a writer killed mid-write; removed at startup recovery. */
export function isAtomicTempName(name: string): boolean {
  return name.startsWith('.') && name.endsWith('.tmp');
}
