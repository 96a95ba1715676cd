// Helpers for the layer store tests: craft tars (also hostile ones) and snapshot a directory
// tree into a comparable description. Not used by production code.
import { lstat, readdir, readFile, readlink, mkdtemp, rm, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { gzipSync } from 'node:zlib';
import { Readable } from 'node:stream';
import * as tar from 'tar-stream';
import { lgetxattr } from '../../lib/libc.js';
import { mountAll, unmount, isMountPoint } from '../../lib/mount.js';
import type { Mount } from './layer-store.js';

export interface TarEntry {
  name: string;
  type?: 'file' | 'directory' | 'symlink' | 'link' | 'fifo' | 'character-device' | 'block-device';
  data?: string;
  linkname?: string;
  mode?: number;
  uid?: number;
  gid?: number;
  mtime?: Date;
  devmajor?: number;
  devminor?: number;
  pax?: Record<string, string>;
}

export const T0 = new Date('2020-01-02T03:04:05Z');

/** Builds a tar from entries, in order, as given (no checking: tests craft hostile tars). */
export async function makeTar(entries: TarEntry[], gzip = false): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const collected = (async () => {
    for await (const c of pack) chunks.push(c as Buffer);
  })();
  for (const e of entries) {
    const type = e.type ?? 'file';
    const header = {
      name: e.name,
      type,
      mode: e.mode ?? (type === 'directory' ? 0o755 : 0o644),
      uid: e.uid ?? 0,
      gid: e.gid ?? 0,
      mtime: e.mtime ?? T0,
      ...(e.linkname !== undefined ? { linkname: e.linkname } : {}),
      ...(e.devmajor !== undefined ? { devmajor: e.devmajor, devminor: e.devminor ?? 0 } : {}),
      ...(e.pax ? { pax: e.pax } : {}),
    };
    await new Promise<void>((res, rej) => {
      if (type === 'file') pack.entry(header, e.data ?? '', (err) => (err ? rej(err) : res()));
      else pack.entry(header, (err) => (err ? rej(err) : res()));
    });
  }
  pack.finalize();
  await collected;
  const buf = Buffer.concat(chunks);
  return gzip ? gzipSync(buf) : buf;
}

export const tarStream = (b: Buffer) => Readable.from([b]);

export async function readAll(s: AsyncIterable<unknown>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of s) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** Names of the entries of a tar, in order. */
export async function tarNames(b: Buffer): Promise<string[]> {
  const ex = tar.extract();
  const names: string[] = [];
  const done = (async () => {
    for await (const e of ex) {
      names.push(e.header.name);
      e.resume();
    }
  })();
  ex.end(b);
  await done;
  return names;
}

/** A comparable description of every entry under `root` (what a container would see). */
export async function describeTree(root: string, rel = ''): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of (await readdir(join(root, rel))).sort()) {
    const r = rel ? `${rel}/${name}` : name;
    const p = join(root, r);
    const st = await lstat(p);
    const own = `${(st.mode & 0o7777).toString(8)} ${st.uid}:${st.gid}`;
    if (st.isDirectory()) {
      out[r] = `dir ${own}`;
      Object.assign(out, await describeTree(root, r));
    } else if (st.isSymbolicLink()) out[r] = `symlink -> ${await readlink(p)} ${st.uid}:${st.gid}`;
    else if (st.isFIFO()) out[r] = `fifo ${own}`;
    else if (st.isFile()) {
      const x = lgetxattr(p, 'user.test');
      out[r] = `file ${own} t=${Math.floor(st.mtimeMs / 1000)} ${JSON.stringify(await readFile(p, 'utf8'))}${x ? ` x=${x}` : ''}`;
    } else out[r] = `other ${st.mode.toString(8)} rdev=${st.rdev}`;
  }
  return out;
}

/** Temp dirs and mounts made by a test file, undone by cleanup(). */
export class Scratch {
  private dirs: string[] = [];
  private mounted: string[] = [];

  async dir(tag: string): Promise<string> {
    const d = await mkdtemp(join(tmpdir(), `berth-${tag}-${process.pid}-`));
    this.dirs.push(d);
    return d;
  }

  async mount(mounts: Mount[], under: string): Promise<string> {
    const target = join(under, `mnt-${this.mounted.length}`);
    await mkdir(target, { recursive: true });
    await mountAll(mounts, target);
    this.mounted.push(target);
    return target;
  }

  async unmount(target: string): Promise<void> {
    await unmount(target);
    this.mounted = this.mounted.filter((m) => m !== target);
  }

  async cleanup(): Promise<void> {
    for (const m of this.mounted.reverse()) {
      while (await isMountPoint(m)) await unmount(m, { detach: true });
    }
    for (const d of this.dirs) await rm(d, { recursive: true, force: true });
  }
}
