// The registry server's own torture (issue 13, "the same with the registry server"): no berthd,
// a client speaking the distribution API straight to Berth's registry process, which is SIGKILLed
// at a seeded random moment while it serves one of three workloads:
// - uploads: chunked (PATCH by PATCH) and monolithic blob uploads;
// - manifest puts: configs uploaded, then many manifests PUT by tag, and an index PUT by digest
//   with ?tag= over them (most of the server's time goes to manifest PUTs);
// - gc: `berth registry gc` sweeping old orphans (killed with the server) while manifests that
//   use other old blobs are being PUT beside it.
// After each restart on the same root: the store is whole (registry-check.ts), every blob and tag
// the server acknowledged before the kill is there with its digest, an upload cut off is resumed
// from the Range the server reports and commits, the whole workload retried succeeds, and every
// tag then pulls back byte for byte (after a gc kill, a gc run to the end first). Delays come from
// a seeded generator, as in driver.ts: the seed is printed and replays the run.
import { spawn } from 'node:child_process';
import { request } from 'node:http';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BerthRegistry } from '../integration/registry/berth-registry.js';
import { MT, ROOT } from '../integration/registry/registry-harness.js';
import { seededRandom } from '../support/seeded-random.js';
import { registryProblems } from './registry-check.js';

export const REGISTRY_WORKLOADS = ['uploads', 'manifest puts', 'gc'] as const;
export type RegistryWorkload = (typeof REGISTRY_WORKLOADS)[number];

export interface RegistryTortureOptions {
  kills: number;
  seed: number;
  log: (line: string) => void;
}

export interface RegistryTortureTally {
  kills: number;
  objectsChecked: number;
  failures: string[];
}

const REPO = 'kill/reg';
const sha = (b: Buffer | string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
/** An answer read whole. */
interface Reply {
  status: number;
  header(name: string): string | undefined;
  body: Buffer;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** What the server said it holds before the kill: blobs (by digest) and tags (to a manifest digest and its bytes). */
interface Acked {
  blobs: Set<string>;
  tags: Map<string, { digest: string; bytes: Buffer }>;
  /** An upload session the kill cut off: its location, and the bytes it was sending. */
  open?: { location: string; data: Buffer };
}

/** One round's content: fresh bytes per round and kill, so every kill hits new writes. */
function content(rnd: () => number, round: number) {
  const bytes = (n: number) => {
    const b = Buffer.alloc(n);
    for (let o = 0; o + 4 <= n; o += 4) b.writeUInt32LE((rnd() * 2 ** 32) >>> 0, o);
    return b;
  };
  const blobs = [bytes(3 << 20), bytes(1 << 20), bytes(200_000)];
  const layer = bytes(64 << 10);
  const configs = Array.from({ length: 12 }, (_, i) =>
    Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', round, i, rootfs: { type: 'layers', diff_ids: [] } })),
  );
  return { blobs, layer, configs };
}

function manifestOf(config: Buffer, layer: Buffer): Buffer {
  return Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MT.manifest,
      config: { mediaType: MT.config, size: config.length, digest: sha(config) },
      layers: [{ mediaType: MT.layer, size: layer.length, digest: sha(layer) }],
    }),
  );
}

class Client {
  constructor(
    readonly url: string,
    readonly acked: Acked,
  ) {}

  // node:http rather than fetch: a fetch in flight when the server is SIGKILLed sometimes never
  // settled (Node 20's undici), leaving the run waiting on nothing; a socket error always ends this.
  private req(method: string, path: string, body?: Buffer, headers: Record<string, string> = {}): Promise<Reply> {
    return new Promise((resolve, reject) => {
      const req = request(new URL(path, this.url), { method, headers: { ...headers, 'Content-Length': String(body?.length ?? 0) }, timeout: 60_000 }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (x: Buffer) => chunks.push(x));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, header: (n) => res.headers[n] as string | undefined, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer in 60 s`)));
      req.on('error', reject);
      req.end(body);
    });
  }

  private expect(r: Reply, status: number, what: string): Reply {
    if (r.status !== status) throw new Error(`${what}: ${r.status} ${r.body.toString()}`);
    return r;
  }

  /** A monolithic upload (POST, then PUT with the bytes and ?digest=). */
  async monolithic(data: Buffer): Promise<void> {
    const start = this.expect(await this.req('POST', `/v2/${REPO}/blobs/uploads/`), 202, 'upload start');
    const loc = new URL(start.header('location')!, this.url);
    loc.searchParams.set('digest', sha(data));
    this.expect(await this.req('PUT', loc.href, data, { 'Content-Type': 'application/octet-stream' }), 201, 'blob put');
    this.acked.blobs.add(sha(data));
  }

  /** A blob as docker pushes it: HEAD first (which also marks it in use for gc), uploaded only when absent. */
  async ensure(data: Buffer): Promise<void> {
    const r = await this.req('HEAD', `/v2/${REPO}/blobs/${sha(data)}`);
    if (r.status === 200) this.acked.blobs.add(sha(data));
    else await this.monolithic(data);
  }

  /** A chunked upload in 256 KiB PATCHes from `from` of a session at `location` (a new one when absent). */
  async chunked(data: Buffer, location?: string, from = 0): Promise<void> {
    let loc = location;
    if (!loc) {
      const start = this.expect(await this.req('POST', `/v2/${REPO}/blobs/uploads/`), 202, 'upload start');
      loc = new URL(start.header('location')!, this.url).pathname;
    }
    this.acked.open = { location: loc, data };
    for (let o = from; o < data.length; o += 256 << 10) {
      const chunk = data.subarray(o, Math.min(data.length, o + (256 << 10)));
      const r = await this.req('PATCH', loc, chunk, { 'Content-Range': `${o}-${o + chunk.length - 1}`, 'Content-Type': 'application/octet-stream' });
      this.expect(r, 202, `patch at ${o}`);
    }
    this.expect(await this.req('PUT', `${loc}?digest=${sha(data)}`), 201, 'upload commit');
    this.acked.open = undefined;
    this.acked.blobs.add(sha(data));
  }

  async putManifest(ref: string, bytes: Buffer, mediaType: string, tags: string[] = []): Promise<void> {
    const q = tags.map((t) => `tag=${t}`).join('&');
    this.expect(await this.req('PUT', `/v2/${REPO}/manifests/${ref}${q ? `?${q}` : ''}`, bytes, { 'Content-Type': mediaType }), 201, `manifest put ${ref}`);
    for (const t of ref.startsWith('sha256:') ? tags : [ref]) this.acked.tags.set(t, { digest: sha(bytes), bytes });
  }

  /** Resumes the upload a kill cut off: its status gives the Range the server kept; the rest is sent from there. */
  async resume(): Promise<number> {
    const open = this.acked.open;
    if (!open) return 0;
    const st = await this.req('GET', open.location);
    if (st.status === 404) {
      // Never persisted (killed inside the POST) or already committed: a new upload does it.
      this.acked.open = undefined;
      return 0;
    }
    if (st.status !== 204) throw new Error(`status of the cut-off upload ${open.location}: ${st.status}`);
    const range = st.header('range') ?? '0-0';
    const end = Number(range.split('-')[1]);
    const have = range === '0-0' ? 0 : end + 1;
    if (have > open.data.length) throw new Error(`the cut-off upload reports ${range}, more than the ${open.data.length} bytes sent`);
    await this.chunked(open.data, open.location, have);
    return 1;
  }
}

/** Runs one workload against the server; `acked` records what the server confirmed. */
async function workload(w: RegistryWorkload, c: Client, round: ReturnType<typeof content>, r: number): Promise<void> {
  if (w === 'uploads') {
    await c.chunked(round.blobs[0]!);
    await c.monolithic(round.blobs[1]!);
    await c.chunked(round.blobs[2]!);
    return;
  }
  // manifest puts and gc: one layer, then per config a blob and a manifest by tag, then an index.
  await c.ensure(round.layer);
  const digests: { digest: string; size: number }[] = [];
  for (let i = 0; i < round.configs.length; i++) {
    await c.monolithic(round.configs[i]!);
    const m = manifestOf(round.configs[i]!, round.layer);
    await c.putManifest(`r${r}-${i}`, m, MT.manifest);
    digests.push({ digest: sha(m), size: m.length });
  }
  const index = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MT.list,
      manifests: digests.map((d) => ({ mediaType: MT.manifest, ...d, platform: { architecture: 'amd64', os: 'linux' } })),
    }),
  );
  await c.putManifest(sha(index), index, MT.list, [`r${r}-index`]);
}

/**
 * gc's input: old orphans (blobs no manifest names, mtime two hours back) for the collector to
 * sweep, and the round's layer, old and unreferenced too until the workload's manifests name it:
 * the push's HEAD must keep the collector from sweeping it under the manifests (gc.ts's grace).
 */
async function plantGarbage(c: Client, root: string, rnd: () => number, layer: Buffer): Promise<void> {
  const old = new Date(Date.now() - 2 * 3600_000);
  for (let i = 0; i < 20; i++) {
    const b = Buffer.alloc(100_000 + i);
    for (let o = 0; o + 4 <= b.length; o += 4) b.writeUInt32LE((rnd() * 2 ** 32) >>> 0, o);
    await c.monolithic(b);
    await utimes(join(root, 'blobs', 'sha256', sha(b).slice(7)), old, old);
  }
  await c.monolithic(layer);
  await utimes(join(root, 'blobs', 'sha256', sha(layer).slice(7)), old, old);
  c.acked.blobs.clear(); // all of it may go until a manifest names it
}

function gcRun(root: string): { pid: number; done: Promise<{ code: number | null; out: string }> } {
  const p = spawn(process.execPath, [join(ROOT, 'bin/berth-registry'), 'gc', '--root', root], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  p.stdout!.on('data', (x: Buffer) => (out += x.toString()));
  p.stderr!.on('data', (x: Buffer) => (out += x.toString()));
  return { pid: p.pid!, done: new Promise((r) => p.once('exit', (code) => r({ code, out }))) };
}

/** After the restart: the store is whole, and everything acknowledged is there as acknowledged. */
async function checkAfter(root: string, url: string, acked: Acked): Promise<number> {
  const reg = await registryProblems(root, url);
  if (reg.problems.length) throw new Error(`registry store after the kill: ${reg.problems.join('; ')}`);
  let n = reg.blobs + reg.uploads;
  for (const d of acked.blobs) {
    const r = await fetch(`${url}/v2/${REPO}/blobs/${d}`, { method: 'HEAD' });
    await r.arrayBuffer();
    if (r.status !== 200) throw new Error(`blob ${d} was acknowledged before the kill and answers ${r.status} after it`);
    n++;
  }
  for (const [tag, want] of acked.tags) {
    const r = await fetch(`${url}/v2/${REPO}/manifests/${tag}`, { headers: { Accept: `${MT.manifest}, ${MT.list}` } });
    const bytes = Buffer.from(await r.arrayBuffer());
    if (r.status !== 200 || !bytes.equals(want.bytes)) throw new Error(`tag ${tag} was acknowledged as ${want.digest} and answers ${r.status} ${sha(bytes)}`);
    n++;
  }
  return n;
}

/** Runs each workload `kills` times with the server (and gc) killed at a random moment. */
export async function registryTorture(o: RegistryTortureOptions, only: readonly RegistryWorkload[] = REGISTRY_WORKLOADS): Promise<RegistryTortureTally> {
  const rnd = seededRandom(o.seed);
  const bytesRnd = seededRandom(o.seed ^ 0x5a5a5a5a);
  o.log(`registry torture: seed ${o.seed} (replay with BERTH_TORTURE_SEED=${o.seed}), ${o.kills} kill(s) per workload`);
  const tally: RegistryTortureTally = { kills: 0, objectsChecked: 0, failures: [] };
  const root = await mkdtemp(join(tmpdir(), 'berth-torture-regsrv-'));
  let server = await BerthRegistry.start({ root });
  try {
    for (const w of only) {
      let span = 300; // widened to the last retry's length, as driver.ts does
      for (let i = 0; i < o.kills; i++) {
        const delay = Math.floor(rnd() * span);
        const where = `registry ${w} kill ${i + 1}/${o.kills} after ${delay} ms (seed ${o.seed})`;
        const acked: Acked = { blobs: new Set(), tags: new Map() };
        try {
          const round = content(bytesRnd, i);
          let c = new Client(server.url, acked);
          if (w === 'gc') await plantGarbage(c, root, bytesRnd, round.layer);
          const gc = w === 'gc' ? gcRun(root) : undefined;
          const pending = workload(w, c, round, i).then(
            () => 'done',
            (e: unknown) => `cut: ${(e as Error).message}`,
          );
          await sleep(delay);
          await server.kill9();
          if (gc) {
            try {
              process.kill(gc.pid, 'SIGKILL');
            } catch {
              // gc had already finished
            }
            await gc.done;
          }
          const ended = await pending;
          tally.kills++;
          server = await BerthRegistry.start({ root });
          c = new Client(server.url, acked);
          tally.objectsChecked += await checkAfter(root, server.url, acked);
          const before = `${acked.tags.size} tags and ${acked.blobs.size} blobs acknowledged before the kill${acked.open ? ', an upload cut off' : ''}`;
          const retryStart = Date.now();
          const resumed = await c.resume();
          await workload(w, c, round, i);
          if (gc) {
            const again = gcRun(root);
            const r = await again.done;
            if (r.code !== 0) throw new Error(`gc after the kill: exit ${r.code}: ${r.out}`);
          }
          span = Math.max(300, Math.min(Date.now() - retryStart, 8000));
          tally.objectsChecked += await checkAfter(root, server.url, acked);
          o.log(
            `ok   ${where} (workload ${ended === 'done' ? 'had finished' : 'cut off'}: ${before}; ${resumed ? 'the upload resumed, ' : ''}${acked.tags.size} tags pulled back after the retry)`,
          );
        } catch (e) {
          const msg = `${where}: ${e instanceof Error ? e.message : String(e)}`;
          tally.failures.push(msg);
          o.log(`FAIL ${msg}`);
          if (server.proc.exitCode !== null || server.proc.signalCode !== null) server = await BerthRegistry.start({ root });
        }
      }
    }
  } finally {
    await server.stop();
    await rm(root, { recursive: true, force: true });
  }
  return tally;
}
