// Shared helpers for the bad-input tests: raw HTTP over the daemon's unix socket (no client
// library in between, so malformed bodies reach the server as sent), tar building, and a
// snapshot of everything in the data root that a failed request must leave as it was.
import { request } from 'node:http';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import tar from 'tar-stream';
import type { TestDaemon } from '../../support/daemon.js';

export interface ApiResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  text: string;
  /** The parsed JSON body, or undefined if the body is not JSON. */
  json: unknown;
}

export type Body = string | Buffer | Readable | undefined;

/** One HTTP request over the daemon socket. A body that is not a Buffer/string is streamed. */
export function api(d: TestDaemon, method: string, path: string, body?: Body, headers: Record<string, string> = {}): Promise<ApiResponse> {
  return new Promise((resolve, reject) => {
    const hdrs: Record<string, string | number> = { ...headers };
    if (typeof body === 'string' || Buffer.isBuffer(body)) hdrs['Content-Length'] = Buffer.byteLength(body);
    const req = request({ socketPath: d.socket, method, path, headers: hdrs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const buf = Buffer.concat(chunks);
        const text = buf.toString();
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: buf, text, json });
      });
    });
    req.on('error', reject);
    if (body === undefined || typeof body === 'string' || Buffer.isBuffer(body)) req.end(body);
    else body.on('error', (e) => req.destroy(e)).pipe(req);
  });
}

/** A JSON request (the body is sent verbatim when it is already a string). */
export function apiJson(d: TestDaemon, method: string, path: string, body: unknown): Promise<ApiResponse> {
  const text = typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
  return api(d, method, path, text, { 'Content-Type': 'application/json' });
}

/** The `message` of a Docker error body, or a failure naming what came back instead. */
export function messageOf(r: ApiResponse): string {
  const m = (r.json as { message?: unknown } | undefined)?.message;
  if (typeof m !== 'string') throw new Error(`expected a {"message"} body, got ${r.status} ${r.text.slice(0, 300)}`);
  return m;
}

export interface TarEntry {
  name: string;
  type?: 'file' | 'directory' | 'symlink' | 'link' | 'character-device' | 'block-device' | 'fifo';
  data?: string | Buffer;
  linkname?: string;
  mode?: number;
  devmajor?: number;
  devminor?: number;
}

/** Builds a tar in memory exactly as listed: names are not cleaned, so hostile names survive. */
export async function makeTar(entries: TarEntry[]): Promise<Buffer> {
  const pack = tar.pack();
  const out: Buffer[] = [];
  pack.on('data', (c) => void out.push(c as Buffer));
  const ended = new Promise<void>((r) => pack.on('end', () => r()));
  for (const e of entries) {
    const type = e.type ?? 'file';
    const data = e.data === undefined ? undefined : Buffer.from(e.data);
    const header: tar.Header | (Partial<tar.Header> & { name: string }) = {
      name: e.name,
      type,
      mode: e.mode ?? (type === 'directory' ? 0o755 : 0o644),
      mtime: new Date(1_700_000_000_000),
    };
    if (e.linkname !== undefined) header.linkname = e.linkname;
    if (e.devmajor !== undefined) header.devmajor = e.devmajor;
    if (e.devminor !== undefined) header.devminor = e.devminor;
    if (type === 'file') header.size = data?.length ?? 0;
    await new Promise<void>((res, rej) => {
      const cb = (err?: Error | null) => (err ? rej(err) : res());
      pack.entry(header, type === 'file' ? (data ?? Buffer.alloc(0)) : Buffer.alloc(0), cb);
    });
  }
  pack.finalize();
  await ended;
  return Buffer.concat(out);
}

/** Names of the entries of a tar (for checking what a GET archive returned). */
export async function tarEntries(buf: Buffer): Promise<{ name: string; type: string; data: Buffer; linkname?: string }[]> {
  const ex = tar.extract();
  const out: { name: string; type: string; data: Buffer; linkname?: string }[] = [];
  const done = new Promise<void>((res, rej) => {
    ex.on('entry', (h, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c) => void chunks.push(c as Buffer));
      stream.on('end', () => {
        out.push({ name: h.name, type: h.type ?? 'file', data: Buffer.concat(chunks), ...(h.linkname ? { linkname: h.linkname } : {}) });
        next();
      });
      stream.resume();
    });
    ex.on('finish', () => res());
    ex.on('error', rej);
  });
  ex.end(buf);
  await done;
  return out;
}

async function ls(dir: string): Promise<string[]> {
  return (await readdir(dir).catch(() => [] as string[])).sort();
}

export interface StoreSnapshot {
  images: string[]; // "id tag,tag" lines
  layers: string[]; // <data-root>/overlay/layers
  blobs: string[]; // <data-root>/content/blobs/sha256
  containers: string[]; // ids from GET /containers/json?all=1
  containerDirs: string[]; // <data-root>/containers
  refs: string; // images/repositories.json
}

/** What a failed request must leave unchanged. */
export async function snapshot(d: TestDaemon): Promise<StoreSnapshot> {
  const imgs = await api(d, 'GET', '/images/json?all=1');
  if (imgs.status !== 200) throw new Error(`image list failed: ${imgs.status} ${imgs.text}`);
  const cs = await api(d, 'GET', '/containers/json?all=1');
  if (cs.status !== 200) throw new Error(`container list failed: ${cs.status} ${cs.text}`);
  return {
    images: (imgs.json as { Id: string; RepoTags: string[] }[]).map((i) => `${i.Id} ${i.RepoTags.join(',')}`).sort(),
    layers: await ls(join(d.dataRoot, 'overlay/layers')),
    blobs: await ls(join(d.dataRoot, 'content/blobs/sha256')),
    containers: (cs.json as { Id: string }[]).map((c) => c.Id).sort(),
    containerDirs: await ls(join(d.dataRoot, 'containers')),
    refs: await readFile(join(d.dataRoot, 'images/repositories.json'), 'utf8').catch(() => ''),
  };
}

/** Temp files of unfinished work: must be empty whenever no request is in flight. */
export async function leftovers(d: TestDaemon): Promise<string[]> {
  const out: string[] = [];
  for (const dir of ['content/ingest', 'overlay/tmp', 'images/tmp']) for (const n of await ls(join(d.dataRoot, dir))) out.push(`${dir}/${n}`);
  return out;
}

/**
 * Runs a command in a container through the API, detached, and polls for its exit code: the
 * attached exec stream sometimes stays open after the process exited (reported), which would
 * stall a test for nothing here.
 */
export async function execDetached(d: TestDaemon, id: string, cmd: string[], timeoutMs = 5_000): Promise<number | undefined> {
  const c = await apiJson(d, 'POST', `/containers/${id}/exec`, { Cmd: cmd, AttachStdout: false, AttachStderr: false });
  if (c.status !== 201) throw new Error(`exec create: ${c.status} ${c.text}`);
  const execId = (c.json as { Id: string }).Id;
  const s = await apiJson(d, 'POST', `/exec/${execId}/start`, { Detach: true });
  if (s.status !== 200 && s.status !== 204) throw new Error(`exec start: ${s.status} ${s.text}`);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const j = (await api(d, 'GET', `/exec/${execId}/json`)).json as { Running: boolean; ExitCode: number | null };
    if (!j.Running && j.ExitCode !== null) return j.ExitCode;
    if (Date.now() > deadline) return undefined; // exit not recorded (reported bug): callers check the effect
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The content of a file in a container, read with GET /containers/{id}/archive (undefined if absent). */
export async function readInContainer(d: TestDaemon, id: string, path: string): Promise<string | undefined> {
  const r = await api(d, 'GET', `/containers/${id}/archive?path=${encodeURIComponent(path)}`);
  if (r.status === 404) return undefined;
  if (r.status !== 200) throw new Error(`GET archive ${path}: ${r.status} ${r.text.slice(0, 200)}`);
  const files = (await tarEntries(r.body)).filter((e) => e.type === 'file');
  return files.length === 1 ? files[0]!.data.toString() : undefined;
}
