// `berth system check [--repair] [--full]`: gathers the facts from the stores (every blob
// re-hashed, every layer checked on disk, image and container records), lets check-plan.ts
// decide, and with --repair performs the plan: damaged objects are moved under
// <data-root>/quarantine/<time>/ (nothing is deleted that could still be inspected) and the
// records naming them are removed or corrected through their own stores, so the daemon's
// in-memory view and events stay right. Podman's `system check` is the model.
//
// What "layer against its diffID" can mean here: an unpacked layer directory has no record of
// the tar it came from, so the quick check verifies its metadata (chainID = chainIdOf(parent,
// diffID), the directory and the parent present). --full also decompresses every compressed
// layer blob an image keeps and checks it yields the diffID (the uncompressed tar stored under
// its diffID is checked by the blob pass itself).
import { createHash } from 'node:crypto';
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { ContentStore } from '../store/content/content-store.js';
import type { LayerStore } from '../store/layers/layer-store.js';
import type { Digest } from '../lib/digest.js';
import { log } from '../lib/log.js';
import { messageOf } from '../lib/errors.js';
import type { ImageRecord } from '../image/image-record.js';
import type { ImageConfig } from '../image/image-config.js';
import { decompressed } from '../image/layer-blob.js';
import { planCheck, type CheckFacts, type ContainerFacts, type Problem } from './check-plan.js';

export interface CheckImages {
  all(): readonly ImageRecord[];
  config(id: Digest): ImageConfig;
  repoTags(id: Digest): string[];
  removeDamaged(id: Digest): Promise<void>;
  forgetMissingBlobs(id: Digest, missing: ReadonlySet<Digest>): Promise<void>;
}

export interface CheckContainers {
  all(): readonly {
    readonly id: string;
    readonly name: string;
    readonly phase: ContainerFacts['phase'];
    readonly imageChainId: Digest | null;
    readonly state: { readonly status: string; readonly pid: number };
  }[];
  isLive(rec: { readonly state: { readonly status: string; readonly pid: number } }): boolean;
  containerDir(id: string): string;
  quarantine(id: string, dir: string): Promise<void>;
}

export interface StoreCheckDeps {
  content: ContentStore;
  layers: LayerStore;
  images: CheckImages;
  containers: CheckContainers;
  /** <data-root>/quarantine */
  quarantineRoot: string;
}

export interface CheckReport {
  checked: { blobs: number; layers: number; images: number; containers: number };
  problems: Problem[];
  /** True when --repair ran and did what it planned (problems left alone say why). */
  repaired: boolean;
  /** Where --repair moved what it found, when it moved anything. */
  quarantine?: string;
}

export async function checkStore(deps: StoreCheckDeps, opts: { repair: boolean; full: boolean }): Promise<CheckReport> {
  const facts = await gather(deps, opts.full);
  const plan = planCheck(facts);
  const report: CheckReport = {
    checked: {
      blobs: facts.blobs.all.size,
      layers: facts.layers.sound.size + facts.layers.damaged.size,
      images: facts.images.length,
      containers: facts.containers.length,
    },
    problems: plan.problems,
    repaired: false,
  };
  if (!opts.repair || !plan.problems.length) return report;

  const dir = join(deps.quarantineRoot, new Date().toISOString().replace(/[:.]/g, '-'));
  const moves = plan.quarantineBlobs.length + plan.quarantineLayers.length + plan.quarantineContainers.length;
  // Containers first (they stand on layers), then what is damaged, then the records naming it.
  for (const id of plan.quarantineContainers) await deps.containers.quarantine(id, join(dir, 'containers', id));
  for (const d of plan.quarantineBlobs) await deps.content.quarantine(d, join(dir, 'blobs'));
  for (const c of plan.quarantineLayers) await deps.layers.quarantineLayer(c, join(dir, 'layers'));
  for (const id of plan.removeImages) await deps.images.removeDamaged(id);
  for (const f of plan.forgetBlobs) await deps.images.forgetMissingBlobs(f.id, new Set(f.digests));
  log.info('system check repaired the store', { problems: plan.problems.length, quarantine: moves ? dir : undefined });
  return { ...report, repaired: true, ...(moves ? { quarantine: dir } : {}) };
}

async function gather(deps: StoreCheckDeps, full: boolean): Promise<CheckFacts> {
  const blobs = await deps.content.list();
  const corrupt = new Map<Digest, string>();
  for (const b of blobs) {
    const ok = await deps.content.verify(b.digest).catch((e) => (log.warn('blob unreadable', { digest: b.digest, error: messageOf(e) }), false));
    if (!ok) corrupt.set(b.digest, 'its content does not match its digest');
  }
  const all = new Set(blobs.map((b) => b.digest));
  const layerCheck = await deps.layers.checkLayers({ full });
  const images = deps.images.all().map((rec) => ({
    id: rec.id,
    tags: deps.images.repoTags(rec.id),
    layers: rec.layers,
    manifests: rec.manifests,
    config: configFacts(deps.images, rec.id),
  }));
  if (full) {
    for (const rec of deps.images.all())
      for (const l of rec.layers) {
        if (!l.blob || !all.has(l.blob.digest) || corrupt.has(l.blob.digest)) continue;
        const got = await diffIdOf(deps.content, l.blob.digest).catch((e: unknown) => `unreadable (${messageOf(e)})`);
        if (got !== l.diffId) corrupt.set(l.blob.digest, `it does not decompress to the layer's diffID ${l.diffId} (got ${got})`);
      }
  }
  const containers: ContainerFacts[] = [];
  for (const c of deps.containers.all()) {
    containers.push({
      id: c.id,
      name: c.name,
      live: deps.containers.isLive(c),
      phase: c.phase,
      imageChainId: c.imageChainId,
      ...(await snapshotProblem(deps.layers, c.id)),
      dirPresent: await access(deps.containers.containerDir(c.id)).then(
        () => true,
        () => false,
      ),
    });
  }
  return {
    blobs: { all, corrupt },
    layers: { sound: new Set(layerCheck.sound), damaged: new Map(layerCheck.damaged.map((d) => [d.chainId, d.problem])) },
    images,
    containers,
  };
}

function configFacts(images: CheckImages, id: Digest): { diffIds: readonly Digest[] } | { problem: string } {
  try {
    return { diffIds: images.config(id).rootfs.diff_ids };
  } catch (e) {
    return { problem: messageOf(e) };
  }
}

async function snapshotProblem(layers: LayerStore, id: string): Promise<{ snapshotProblem?: string }> {
  const p = await layers.snapshotDamage(id).catch((e: unknown) => messageOf(e));
  return p ? { snapshotProblem: p } : {};
}

async function diffIdOf(content: ContentStore, blob: Digest): Promise<Digest> {
  const hash = createHash('sha256');
  await pipeline(await decompressed(content.readStream(blob)), hash);
  return `sha256:${hash.digest('hex')}`;
}
