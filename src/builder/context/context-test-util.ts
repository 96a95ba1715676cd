// Test helpers shared by the context tests: tars built in memory, temp dirs removed after.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tarStream from 'tar-stream';

export interface TarEntry {
  name: string;
  type?: 'file' | 'directory' | 'symlink' | 'link';
  body?: string;
  linkname?: string;
  mode?: number;
  mtime?: number; // ms; default 1e12
}

export async function tarOf(entries: TarEntry[]): Promise<Buffer> {
  const pack = tarStream.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c: unknown) => {
    chunks.push(c as Buffer);
  });
  const done = new Promise<void>((r) => pack.on('end', () => r()));
  for (const e of entries) {
    const type = e.type ?? 'file';
    const header = { name: e.name, type, linkname: e.linkname, mode: e.mode ?? (type === 'directory' ? 0o755 : 0o644), mtime: new Date(e.mtime ?? 1e12) };
    if (type === 'file') pack.entry(header, e.body ?? '');
    else pack.entry(header);
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

/** A temp dir removed when the test ends. */
export async function tmpDir(t: { after: (fn: () => Promise<void>) => void }, prefix = 'berth-ctx'): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), `${prefix}-${process.pid}-`));
  t.after(() => rm(d, { recursive: true, force: true }));
  return d;
}
