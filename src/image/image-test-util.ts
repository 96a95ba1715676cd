// Helpers for the image tests: tars in memory and a real store stack (FsContentStore +
// OverlayLayerStore + ImageStore) in a temp dir. Not used by production code.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import tar from 'tar-stream';
import { FsContentStore } from '../store/content/fs-content-store.js';
import { OverlayLayerStore } from '../store/layers/overlay-layer-store.js';
import { ImageStore } from './image-store.js';

export interface Entry {
  name: string;
  data?: string | Buffer;
  type?: 'file' | 'directory' | 'symlink' | 'link';
  linkname?: string;
}

export async function tarBuffer(entries: Entry[], gzip = false): Promise<Buffer> {
  const pack = tar.pack();
  const done = readAll(pack as unknown as AsyncIterable<Buffer>);
  for (const e of entries) {
    const type = e.type ?? 'file';
    const mtime = new Date('2020-01-01T00:00:00Z');
    if (type === 'file') pack.entry({ name: e.name, mode: 0o644, mtime }, typeof e.data === 'string' ? Buffer.from(e.data) : (e.data ?? Buffer.alloc(0)));
    else pack.entry({ name: e.name, type, mode: type === 'directory' ? 0o755 : 0o777, mtime, linkname: e.linkname });
  }
  pack.finalize();
  const b = await done;
  return gzip ? gzipSync(b) : b;
}

export async function readAll(r: AsyncIterable<Buffer | Uint8Array>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of r) chunks.push(Buffer.from(c));
  return Buffer.concat(chunks);
}

export const streamOf = (b: Buffer) => Readable.from([b]);

export interface TestStores {
  dir: string;
  store: ImageStore;
  reopen(): Promise<ImageStore>;
  cleanup(): Promise<void>;
  /** The image events the store reported, as "action id name". */
  events: string[];
}

export async function openTestStores(tag: string): Promise<TestStores> {
  const dir = await mkdtemp(join(tmpdir(), `berth-image-${tag}-${process.pid}-`));
  const events: string[] = [];
  const open = async () => {
    const content = await FsContentStore.open(join(dir, 'content'));
    const layers = await OverlayLayerStore.open(join(dir, 'layers'));
    return ImageStore.open({
      root: join(dir, 'image'),
      content,
      layers,
      events: { emit: (action, id, attrs) => void events.push(`${action} ${id}${attrs?.name ? ` ${attrs.name}` : ''}`) },
    });
  };
  return { dir, store: await open(), reopen: open, cleanup: () => rm(dir, { recursive: true, force: true }), events };
}

/** A one-file rootfs layer tar. */
export function rootfsTar(file = 'hello.txt', data = 'hello'): Promise<Buffer> {
  return tarBuffer([
    { name: 'etc/', type: 'directory' },
    { name: `etc/${file}`, data },
  ]);
}
