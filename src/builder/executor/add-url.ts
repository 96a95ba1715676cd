// ADD <http(s) url>: the download, done by the daemon (not in a build container), bounded in
// time, size and redirects. The file lands in a directory the caller owns with mode 0600 and,
// when the server sends Last-Modified, that mtime (the classic builder's rules); its sha256
// goes into the step's cache key, so an unchanged download reuses the cache. --checksum is
// BuildKit's: verified against the bytes received, before anything reaches the image.
import { createHash, randomBytes, type Hash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rm, unlink, utimes } from 'node:fs/promises';
import { get as httpGet, type IncomingMessage } from 'node:http';
import { posix } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { canceled, invalidArgument, isBerthError, messageOf, unavailable } from '../../lib/errors.js';
import { checksumNonHttp, digestMismatch, downloadFailedStatus, invalidChecksum } from '../../lib/docker-messages.js';

export type ChecksumAlgorithm = 'sha256' | 'sha384' | 'sha512';
export interface Checksum {
  algorithm: ChecksumAlgorithm;
  hex: string;
}

export interface DownloadOptions {
  /** Existing directory the file is written to (the caller removes it). */
  dir: string;
  signal?: AbortSignal;
  /** Largest body accepted; default 4 GiB. */
  maxBytes?: number;
  /** Socket idle timeout (connect, headers, between body chunks); default 60 s. */
  timeoutMs?: number;
  /** Redirects followed before giving up; default 10 (Go's http.Client rule). */
  maxRedirects?: number;
  checksum?: Checksum;
}

export interface Download {
  url: string;
  /** Host path of the downloaded file. */
  path: string;
  /** File name from the URL path (or Content-Disposition); undefined if there is none. */
  name?: string;
  /** "sha256:<hex>" of the body. */
  digest: string;
  size: number;
}

const HEX_LEN: Record<ChecksumAlgorithm, number> = { sha256: 64, sha384: 96, sha512: 128 };

export function isUrlSource(s: string): boolean {
  return /^https?:\/\//i.test(s);
}

/** `<algorithm>:<hex>` as go-digest parses it (its error texts). */
export function parseChecksum(text: string): Checksum {
  const i = text.indexOf(':');
  if (i <= 0 || i === text.length - 1) throw invalidChecksum(text, 'invalid checksum digest format');
  const algorithm = text.slice(0, i);
  const hex = text.slice(i + 1);
  if (!(algorithm in HEX_LEN)) throw invalidChecksum(text, 'unsupported digest algorithm');
  const alg = algorithm as ChecksumAlgorithm;
  if (hex.length !== HEX_LEN[alg]) throw invalidChecksum(text, 'invalid checksum digest length');
  if (!/^[0-9a-f]+$/.test(hex)) throw invalidChecksum(text, 'invalid checksum digest format');
  return { algorithm: alg, hex };
}

/** ADD --checksum: only for URL sources (BuildKit); returns the parsed checksum, if any. */
export function checksumFor(sources: readonly string[], checksum: string | undefined): Checksum | undefined {
  if (checksum === undefined || checksum === '') return undefined;
  if (sources.some((s) => !isUrlSource(s))) throw checksumNonHttp();
  return parseChecksum(checksum);
}

/** moby's getFilenameForDownload: the URL path's last element, else Content-Disposition. */
export function filenameFor(url: URL, contentDisposition?: string): string | undefined {
  let path = url.pathname;
  try {
    path = decodeURIComponent(path);
  } catch {
    // keep the raw path: Go would have rejected the URL, a raw name is the closest match
  }
  if (path && !path.endsWith('/')) {
    const base = posix.basename(path);
    if (base && base !== '.' && base !== '..') return base;
  }
  if (contentDisposition) {
    const m = /(?:^|;)\s*filename\s*=\s*(?:"([^"]*)"|([^;\s]*))/i.exec(contentDisposition);
    const name = posix.basename((m?.[1] ?? m?.[2] ?? '').replace(/\\/g, '/'));
    if (name && name !== '.' && name !== '..') return name;
  }
  return undefined;
}

// Requests whose socket went idle too long: a body cut short says only "aborted" otherwise.
const timedOut = new WeakSet<object>();
const requestOf = new WeakMap<IncomingMessage, object>();

function request(url: URL, timeoutMs: number, signal?: AbortSignal): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    // node:https (and node:tls) loaded by the first https source, not by every daemon at start-up.
    const get = url.protocol === 'https:' ? (process.getBuiltinModule('node:https') as typeof import('node:https')).get : httpGet;
    // No Accept-Encoding: the body is stored as the server holds it, never decoded.
    const req = get(url, { headers: { 'User-Agent': 'Berth-builder', Accept: '*/*' }, signal, timeout: timeoutMs }, (res) => {
      requestOf.set(res, req);
      resolve(res);
    });
    req.on('timeout', () => {
      timedOut.add(req);
      req.destroy(unavailable(`Get "${url.href}": timeout after ${timeoutMs} ms`));
    });
    req.on('error', (e) => reject(signal?.aborted ? canceled('build canceled') : isBerthError(e) ? e : unavailable(`Get "${url.href}": ${messageOf(e)}`, e)));
  });
}

async function bodySnippet(res: IncomingMessage): Promise<string> {
  let text = '';
  for await (const chunk of res) {
    if (text.length < 1024) text += (chunk as Buffer).toString('utf8');
  }
  return text.slice(0, 1024).trim();
}

/** GET with redirects followed by hand (http and https only). */
async function fetchFollowing(
  start: URL,
  o: Required<Pick<DownloadOptions, 'timeoutMs' | 'maxRedirects'>> & { signal?: AbortSignal },
): Promise<{ res: IncomingMessage; url: URL }> {
  let url = start;
  for (let hops = 0; ; hops++) {
    const res = await request(url, o.timeoutMs, o.signal);
    const status = res.statusCode ?? 0;
    const location = res.headers.location;
    if ([301, 302, 303, 307, 308].includes(status) && location) {
      res.resume();
      if (hops >= o.maxRedirects) throw unavailable(`Get "${start.href}": stopped after ${o.maxRedirects} redirects`);
      const next = new URL(location, url);
      if (next.protocol !== 'http:' && next.protocol !== 'https:')
        throw invalidArgument(`Get "${start.href}": redirect to unsupported protocol scheme "${next.protocol.slice(0, -1)}"`);
      url = next;
      continue;
    }
    if (status < 200 || status > 299) throw downloadFailedStatus(start.href, `${status} ${res.statusMessage ?? ''}`.trim(), await bodySnippet(res));
    return { res, url };
  }
}

/** Counts and hashes the bytes passing through; fails once past maxBytes. */
function meter(maxBytes: number, url: string, hashes: Hash[]): Transform & { size: number } {
  const t = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      t.size += chunk.length;
      if (t.size > maxBytes) return cb(invalidArgument(`failed to download ${url}: larger than the ${maxBytes} byte limit`));
      for (const h of hashes) h.update(chunk);
      cb(null, chunk);
    },
  }) as Transform & { size: number };
  t.size = 0;
  return t;
}

let seq = 0;

/** Downloads `url` into opts.dir; the file is removed again if anything fails. */
export async function download(rawUrl: string, opts: DownloadOptions): Promise<Download> {
  const maxBytes = opts.maxBytes ?? 4 * 1024 ** 3;
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const maxRedirects = opts.maxRedirects ?? 10;
  let url: URL;
  try {
    url = new URL(rawUrl);
  } catch {
    throw invalidArgument(`invalid URL for ADD: ${rawUrl}`);
  }
  const { res } = await fetchFollowing(url, { timeoutMs, maxRedirects, signal: opts.signal });
  const length = Number(res.headers['content-length']);
  if (Number.isFinite(length) && length > maxBytes) {
    res.destroy();
    throw invalidArgument(`failed to download ${rawUrl}: ${length} bytes is larger than the ${maxBytes} byte limit`);
  }
  const path = posix.join(opts.dir, `download-${process.pid}-${++seq}`);
  const sha256 = createHash('sha256');
  const check = opts.checksum && opts.checksum.algorithm !== 'sha256' ? createHash(opts.checksum.algorithm) : undefined;
  const m = meter(maxBytes, rawUrl, check ? [sha256, check] : [sha256]);
  try {
    // 0600 like the classic builder's temp file; --chmod may change it when copied.
    await pipeline(res, m, createWriteStream(path, { flags: 'wx', mode: 0o600 }), { signal: opts.signal });
    const hex = sha256.digest('hex');
    if (opts.checksum) {
      const actual = check ? check.digest('hex') : hex;
      if (actual !== opts.checksum.hex) throw digestMismatch(`${opts.checksum.algorithm}:${opts.checksum.hex}`, `${opts.checksum.algorithm}:${actual}`);
    }
    const lastModified = res.headers['last-modified'];
    const mtime = lastModified ? new Date(lastModified) : undefined;
    if (mtime && !Number.isNaN(mtime.getTime())) await utimes(path, mtime, mtime);
    return { url: rawUrl, path, name: filenameFor(url, res.headers['content-disposition']), digest: `sha256:${hex}`, size: m.size };
  } catch (e) {
    await unlink(path).catch(() => {});
    if (opts.signal?.aborted) throw canceled('build canceled');
    if (isBerthError(e)) throw e;
    if (timedOut.has(requestOf.get(res) ?? {})) throw unavailable(`failed to download ${rawUrl}: no data for ${timeoutMs} ms`, e);
    throw unavailable(`failed to download ${rawUrl}: ${messageOf(e)}`, e);
  }
}

export interface Downloads {
  /** One per URL source, in source order. */
  files: Download[];
  /** Removes the download directory. */
  dispose(): Promise<void>;
}

/**
 * Downloads every URL source of an ADD into a fresh directory under `parentDir` (the builder's
 * runs dir, which startup recovery empties). Nothing is left behind if one download fails.
 */
export async function downloadSources(sources: readonly string[], o: { parentDir: string; checksum?: Checksum; signal?: AbortSignal }): Promise<Downloads> {
  const dir = posix.join(o.parentDir, `download-${randomBytes(8).toString('hex')}`);
  const dispose = () => rm(dir, { recursive: true, force: true });
  const files: Download[] = [];
  const urls = sources.filter(isUrlSource);
  if (!urls.length) return { files, dispose: async () => {} };
  await mkdir(dir, { recursive: true, mode: 0o700 });
  try {
    for (const u of urls) files.push(await download(u, { dir, checksum: o.checksum, signal: o.signal }));
  } catch (e) {
    await dispose();
    throw e;
  }
  return { files, dispose };
}
