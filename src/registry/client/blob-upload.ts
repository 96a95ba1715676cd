// One blob's way into a registry, as dockerd's pusher does it. A blob whose digest is known
// (a layer pulled or pushed before, the config): HEAD ("Layer already exists"), then a
// cross-repository mount ("Mounted from ..."), else a monolithic upload (POST, then PUT with
// the bytes and ?digest=). A layer compressed now, whose digest is known only at its end: one
// streamed PATCH (chunked transfer) while the same bytes are hashed, then a PUT with ?digest=
// and no body.
import { PassThrough, Transform, type Readable } from 'node:stream';
import type { Digest } from '../../lib/digest.js';
import { unavailable } from '../../lib/errors.js';
import type { ImageReference } from '../../lib/reference.js';
import { writeHashedOffThread } from '../../store/layers/unpack-off-thread.js';
import { drain, readBody } from './http-request.js';
import { progressMessage, throttled, type PullMessage } from './progress.js';
import { authFailed, registryErrorText } from './registry-errors.js';
import type { RegistrySession } from './session.js';

export interface BlobToPush {
  digest: Digest;
  size: number;
  mediaType: string;
  /** Progress id: the short diffID for layers (Docker's), none for the config. */
  id?: string;
  open(): Readable;
}

type Send = (m: PullMessage) => void;

export async function expectStatus(res: Awaited<ReturnType<RegistrySession['call']>>, ok: number[], what: string): Promise<void> {
  if (ok.includes(res.status)) {
    drain(res.body);
    return;
  }
  const body = await readBody(res.body, 64 * 1024, 'error body').catch(() => Buffer.alloc(0));
  const text = registryErrorText(body) ?? `unexpected status ${res.status}`;
  // Docker prints the registry's words ("denied: requested access to the resource is denied").
  throw res.status === 403 || res.status === 401 ? authFailed(text) : unavailable(`${what}: ${text}`);
}

async function startUpload(session: RegistrySession, ref: ImageReference, what: string): Promise<string> {
  const start = await session.call('POST', `/v2/${ref.path}/blobs/uploads/`, { headers: { 'Content-Length': '0' } });
  await expectStatus(start, [202], `upload of ${what}`);
  if (!start.headers.location) throw unavailable('registry started an upload without a Location');
  return start.headers.location;
}

/** An upload Location (often a path) as an absolute URL on the registry. */
function absolute(session: RegistrySession, location: string): string {
  return new URL(location, session.url('blobs', 'upload')).href;
}

/** Counts bytes through for "Pushing" progress. */
function counting(id: string | undefined, total: number, send: Send): { stream: Transform; flush(): void } {
  const t = id ? throttled((n) => send(progressMessage('Pushing', id, n, total))) : undefined;
  let sent = 0;
  const stream = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      sent += chunk.length;
      t?.update(sent);
      cb(null, chunk);
    },
  });
  return { stream, flush: () => t?.flush() };
}

/**
 * Whether the registry has the blob already (HEAD: "Layer already exists") or can mount it from
 * one of `sources` ("Mounted from ..."). A mount the registry answers with an upload instead
 * returns that upload's Location, for the caller to send the bytes to.
 */
export async function blobAlreadyThere(
  session: RegistrySession,
  ref: ImageReference,
  b: { digest: Digest; id?: string },
  sources: string[],
  send: Send,
): Promise<true | { location?: string }> {
  const head = await session.call('HEAD', `/v2/${ref.path}/blobs/${b.digest}`);
  drain(head.body);
  if (head.status === 200) {
    if (b.id) send({ status: 'Layer already exists', id: b.id, progressDetail: {} });
    return true;
  }
  for (const from of sources) {
    const m = await session.call('POST', `/v2/${ref.path}/blobs/uploads/?mount=${b.digest}&from=${encodeURIComponent(from)}`, {
      headers: { 'Content-Length': '0' },
    });
    drain(m.body);
    if (m.status === 201) {
      if (b.id) send({ status: `Mounted from ${from}`, id: b.id, progressDetail: {} });
      return true;
    }
    if (m.status === 202 && m.headers.location) return { location: m.headers.location }; // the registry opened an upload instead
  }
  return {};
}

/** A blob whose bytes are at hand: skipped if the registry has it, else one monolithic upload. */
export async function pushKnownBlob(session: RegistrySession, ref: ImageReference, b: BlobToPush, sources: string[], send: Send): Promise<void> {
  const there = await blobAlreadyThere(session, ref, b, sources, send);
  if (there === true) return;
  const location = there.location ?? (await startUpload(session, ref, b.digest));
  const url = new URL(location, session.url('blobs', b.digest));
  url.searchParams.set('digest', b.digest);
  let progress: ReturnType<typeof counting> | undefined;
  const open = () => {
    progress = counting(b.id, b.size, send);
    return b.open().pipe(progress.stream);
  };
  const put = await session.call('PUT', url.href, { headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': String(b.size) }, body: open });
  progress?.flush();
  await expectStatus(put, [201, 204], `blob ${b.digest}`);
  if (b.id) send({ status: 'Pushed', id: b.id, progressDetail: {} });
}

/**
 * Uploads `blob` (a stream whose digest is not known yet) while `keep` reads the same bytes
 * and returns their digest (and may store them); the upload is committed under that digest.
 * On any failure every stream is destroyed (nothing is left waiting) and the registry's upload
 * is abandoned. `opened` continues an upload the registry already opened.
 */
export async function pushStreamedBlob(
  session: RegistrySession,
  ref: ImageReference,
  blob: Readable,
  keep: (s: Readable) => Promise<{ digest: Digest; size: number }>,
  progress: { id: string; total: number; send: Send },
  opened?: string,
): Promise<{ digest: Digest; size: number }> {
  const location = opened ?? (await startUpload(session, ref, `layer ${progress.id}`));
  const toKeep = new PassThrough();
  const count = counting(progress.id, progress.total, progress.send);
  // pipe() to two destinations waits for the slower one (backpressure from both).
  blob.pipe(toKeep);
  blob.pipe(count.stream);
  const fail = (e: Error) => {
    for (const s of [blob, toKeep, count.stream]) s.destroy(e);
  };
  blob.on('error', fail);
  let sent = false;
  const patching = session
    .call('PATCH', absolute(session, location), {
      headers: { 'Content-Type': 'application/octet-stream' },
      body: () => {
        // A streamed body cannot be sent twice (the session resends after a 401).
        if (sent) throw unavailable(`upload of layer ${progress.id}: the registry asked for credentials in the middle of an upload`);
        sent = true;
        return count.stream;
      },
    })
    .then(async (res) => {
      await expectStatus(res, [202], `layer ${progress.id}`);
      return res.headers.location ?? location;
    });
  // The first failure stops both sides at once: the other one would wait on backpressure for ever.
  const failFast = <T>(p: Promise<T>) =>
    p.catch((e: Error) => {
      fail(e);
      throw e;
    });
  const results = await Promise.allSettled([failFast(keep(toKeep)), failFast(patching)]);
  const bad = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (bad) {
    await session
      .call('DELETE', absolute(session, location))
      .then((r) => drain(r.body))
      .catch(() => {});
    throw bad.reason;
  }
  const stored = (results[0] as PromiseFulfilledResult<{ digest: Digest; size: number }>).value;
  const next = (results[1] as PromiseFulfilledResult<string>).value;
  count.flush();
  const url = new URL(next, session.url('blobs', stored.digest));
  url.searchParams.set('digest', stored.digest);
  const put = await session.call('PUT', url.href, { headers: { 'Content-Length': '0' } });
  await expectStatus(put, [201, 204], `blob ${stored.digest}`);
  progress.send({ status: 'Pushed', id: progress.id, progressDetail: {} });
  return stored;
}

/**
 * The sha256 and size of a stream (a streamed blob's digest, known at its end), computed on a
 * worker thread: this thread reads, compresses and sends the same bytes meanwhile.
 */
export function digestOf(s: Readable): Promise<{ digest: Digest; size: number }> {
  return writeHashedOffThread(s, undefined);
}
