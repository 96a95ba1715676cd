// Push and pull of a 500 MB image (5 layers of 100 MiB random bytes) over loopback, as the
// registry issue asks: berthd's client into Berth's registry and into Debian's docker-registry
// (distribution), and skopeo (containers/image, parallel gzip) into both; pulls back with
// berthd (verified, unpacked) and with skopeo (to dir:, blobs only). MB/s beside this machine's
// raw speeds (sha256, write + fsync); goal: at least 70% of the slower of those two.
// Each push compresses afresh: the image is removed and loaded again between pushes (a pushed
// image remembers its blobs). Run: npm run build && node dist/bench/registry-image.js
import { createHash, randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, open, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { runBench, printReferences } from './support/harness.js';
import { LiveTable } from './support/measure.js';
import { BerthRegistry } from '../test/integration/registry/berth-registry.js';
import { TestRegistry, registryAvailable } from '../test/integration/registry/registry-harness.js';
import type { BenchDaemon } from './support/bench-daemon.js';

const execFileP = promisify(execFile);
const LAYERS = 5;
const LAYER = 100 << 20;
const MB = (LAYERS * LAYER) / 1e6;
const SKOPEO = existsSync('/usr/bin/skopeo');

async function timeIt(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

/** A docker-archive (`docker save` format) of one image with 5 random layers; returns its path. */
async function makeArchive(dir: string): Promise<string> {
  const img = join(dir, 'img');
  await mkdir(img, { recursive: true });
  const diffIds: string[] = [];
  const layers: string[] = [];
  for (let i = 0; i < LAYERS; i++) {
    const root = join(dir, `l${i}`);
    await mkdir(root, { recursive: true });
    const f = await open(join(root, `data${i}.bin`), 'w');
    for (let off = 0; off < LAYER; off += 8 << 20) await f.write(randomBytes(Math.min(8 << 20, LAYER - off)));
    await f.close();
    await execFileP('tar', ['-C', root, '--owner=0', '--group=0', '--numeric-owner', '-cf', join(img, `l${i}.tar`), `data${i}.bin`]);
    await rm(root, { recursive: true, force: true });
    const h = createHash('sha256');
    const fh = await open(join(img, `l${i}.tar`));
    for await (const c of fh.createReadStream({ highWaterMark: 1 << 20 })) h.update(c as Buffer);
    diffIds.push(`sha256:${h.digest('hex')}`);
    layers.push(`l${i}.tar`);
  }
  const config = JSON.stringify({ architecture: 'amd64', os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: diffIds } });
  await writeFile(join(img, 'config.json'), config);
  await writeFile(join(img, 'manifest.json'), JSON.stringify([{ Config: 'config.json', RepoTags: ['bench/big:1'], Layers: layers }]));
  const path = join(dir, 'big.tar');
  await execFileP('tar', ['-C', img, '-cf', path, '.']);
  await rm(img, { recursive: true, force: true });
  return path;
}

async function api(d: BenchDaemon, method: string, path: string): Promise<void> {
  const r = await d.api.call(method, path);
  const text = r.body.toString();
  if (r.status !== 200 || text.includes('"errorDetail"')) throw new Error(`${method} ${path}: ${r.status} ${text.slice(-300)}`);
}

async function berth(d: BenchDaemon, args: string[]): Promise<void> {
  await execFileP(process.execPath, d.berthArgs(args), { env: d.env, timeout: 600_000, maxBuffer: 16 << 20 });
}

/** The image loaded afresh (no remembered blobs) and tagged as `ref`. */
async function freshImage(d: BenchDaemon, archive: string, ref: string): Promise<void> {
  await berth(d, ['rmi', '-f', 'bench/big:1']).catch(() => {});
  await berth(d, ['load', '-i', archive]);
  await berth(d, ['tag', 'bench/big:1', ref]);
}

await runBench('registry: push and pull of a 500 MB image (5 x 100 MiB random layers) over loopback', { limitMs: 40 * 60_000 }, async ({ d }) => {
  const breg = await BerthRegistry.start();
  const dreg = registryAvailable() ? await TestRegistry.start() : undefined;
  try {
    const table = new LiveTable(['workload', 'time', 'MB/s', 'of goal', 'note']);
    const data = randomBytes(LAYER);
    const shaMs = await timeIt(async () => createHash('sha256').update(data).digest());
    const p = join(d.dir, 'fsync-probe');
    const diskMs = await timeIt(async () => {
      const f = await open(p, 'w');
      await f.write(data);
      await f.sync();
      await f.close();
    });
    await rm(p);
    const rate = (ms: number, bytes = LAYER) => bytes / 1e6 / (ms / 1000);
    const goal = 0.7 * Math.min(rate(shaMs), rate(diskMs));
    const add = (label: string, ms: number, note = '') =>
      table.add([label, `${(ms / 1000).toFixed(2)} s`, rate(ms, LAYERS * LAYER).toFixed(0), `${((rate(ms, LAYERS * LAYER) / goal) * 100).toFixed(0)}%`, note]);
    table.add(['floor: sha256', `${shaMs.toFixed(0)} ms`, rate(shaMs).toFixed(0), '', 'per 100 MiB, in-process']);
    table.add(['floor: write + fsync', `${diskMs.toFixed(0)} ms`, rate(diskMs).toFixed(0), '', 'per 100 MiB']);
    table.add(['goal: 70% of the slower floor', '', goal.toFixed(0), '100%', '']);

    const archive = await makeArchive(d.dir);
    const targets = [{ name: 'Berth registry', host: breg.host }, ...(dreg ? [{ name: 'docker-registry', host: dreg.host }] : [])];
    for (const t of targets) {
      const ref = `${t.host}/berth/big`;
      await freshImage(d, archive, `${ref}:1`);
      add(`berthd push -> ${t.name}`, await timeIt(() => api(d, 'POST', `/images/${encodeURIComponent(ref)}/push?tag=1`)), 'compresses 5 new layers');
      add(`berthd push again -> ${t.name}`, await timeIt(() => api(d, 'POST', `/images/${encodeURIComponent(ref)}/push?tag=1`)), 'every blob exists');
      await berth(d, ['rmi', '-f', 'bench/big:1', `${ref}:1`]);
      add(`berthd pull <- ${t.name}`, await timeIt(() => api(d, 'POST', `/images/create?fromImage=${encodeURIComponent(ref)}&tag=1`)), 'verify + unpack');
      await berth(d, ['rmi', '-f', `${ref}:1`]).catch(() => {});
    }
    if (SKOPEO) {
      for (const t of targets) {
        const dest = `docker://${t.host}/skopeo/big:1`;
        const flags = ['--insecure-policy', 'copy', '--src-tls-verify=false', '--dest-tls-verify=false'];
        add(
          `skopeo copy -> ${t.name}`,
          await timeIt(() =>
            execFileP('skopeo', [...flags.filter((f) => f !== '--src-tls-verify=false'), `docker-archive:${archive}`, dest], { timeout: 600_000 }),
          ),
          'pgzip',
        );
        const out = join(d.dir, 'skopeo-dir');
        add(
          `skopeo copy <- ${t.name}`,
          await timeIt(() => execFileP('skopeo', [...flags.filter((f) => f !== '--dest-tls-verify=false'), dest, `dir:${out}`], { timeout: 600_000 })),
          'blobs to dir:, no unpack',
        );
        await rm(out, { recursive: true, force: true });
      }
    } else table.add(['skopeo: not installed', '', '', '', '']);
    await rm(archive, { force: true });
  } finally {
    await breg.stop();
    await dreg?.stop();
  }
  printReferences([
    `${MB.toFixed(0)} MB per image; MB/s = image bytes / time`,
    'Docker 20.10 to distribution, one new random 100 MiB layer: push 1.89 s, pull 0.74 s; Podman pull 0.59 s',
    'goal: at least 70% of the slower of sha256 and disk speed',
  ]);
});
