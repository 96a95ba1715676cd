// `berth system check`'s decision, pure: from what was found on disk (blobs that do not hash to
// their digest, damaged layers, image and container records), which objects are damaged, why,
// and what a repair does with each. Damage flows upwards: a damaged layer damages the images
// and containers standing on it; a damaged config blob damages its image. A blob that is only a
// cache of an image (the uncompressed tar under its diffID, a pulled compressed blob, a manifest)
// damages nothing: repair moves it aside and the image forgets it. A compressed blob an image was
// pushed as is remembered by digest only, so its absence is no problem at all.
import type { Digest } from '../lib/digest.js';
import { chainIds } from '../lib/chain-id.js';

export type ObjectType = 'blob' | 'layer' | 'image' | 'container';
export type RepairAction = 'quarantine' | 'remove' | 'forget-blobs' | 'none';

export interface Problem {
  type: ObjectType;
  id: string;
  /** The image's tags or the container's name, when it has them. */
  name?: string;
  problem: string;
  /** What a repair does (or did) with it. */
  action: RepairAction;
  /** Why a repair leaves it alone (a running container). */
  leftBecause?: string;
}

export interface ImageFacts {
  id: Digest;
  tags: string[];
  layers: readonly { diffId: Digest; chainId: Digest; blob?: { digest: Digest } }[];
  manifests: readonly { digest: Digest }[];
  /** rootfs.diff_ids of its config, or a reason the config cannot be used. */
  config: { diffIds: readonly Digest[] } | { problem: string };
}

export interface ContainerFacts {
  id: string;
  name: string;
  live: boolean;
  phase: 'creating' | 'ready' | 'removing';
  imageChainId: Digest | null;
  /** What is wrong with its snapshot, if anything (the layer store's check). */
  snapshotProblem?: string;
  dirPresent: boolean;
}

export interface CheckFacts {
  /** Every blob in the content store, and those whose bytes do not hash to their digest (or, with --full, a layer blob that does not decompress to its diffID). */
  blobs: { all: ReadonlySet<Digest>; corrupt: ReadonlyMap<Digest, string> };
  layers: { sound: ReadonlySet<Digest>; damaged: ReadonlyMap<Digest, string> };
  images: readonly ImageFacts[];
  containers: readonly ContainerFacts[];
}

export interface CheckPlan {
  problems: Problem[];
  quarantineBlobs: Digest[];
  quarantineLayers: Digest[];
  quarantineContainers: string[];
  removeImages: Digest[];
  /** Images that stay but must forget blobs (compressed layer blobs, manifests) that are gone. */
  forgetBlobs: { id: Digest; digests: Digest[] }[];
}

export function planCheck(f: CheckFacts): CheckPlan {
  const problems: Problem[] = [];
  const plan: CheckPlan = { problems, quarantineBlobs: [], quarantineLayers: [], quarantineContainers: [], removeImages: [], forgetBlobs: [] };
  for (const [digest, why] of f.blobs.corrupt) {
    problems.push({ type: 'blob', id: digest, problem: why, action: 'quarantine' });
    plan.quarantineBlobs.push(digest);
  }
  for (const [chainId, why] of f.layers.damaged) {
    problems.push({ type: 'layer', id: chainId, problem: why, action: 'quarantine' });
    plan.quarantineLayers.push(chainId);
  }
  const usable = (d: Digest) => f.blobs.all.has(d) && !f.blobs.corrupt.has(d);
  const layerProblem = (chainId: Digest) =>
    f.layers.damaged.has(chainId) ? `layer ${chainId} is damaged` : f.layers.sound.has(chainId) ? undefined : `layer ${chainId} is missing`;

  for (const img of f.images) {
    const why = imageProblem(img, usable, layerProblem);
    const name = img.tags.length ? img.tags.join(', ') : undefined;
    if (why) {
      problems.push({ type: 'image', id: img.id, ...(name ? { name } : {}), problem: why, action: 'remove' });
      plan.removeImages.push(img.id);
      continue;
    }
    // A layer's compressed blob missing from the store is no damage: a push remembers only the
    // digest it pushed as (image-record.ts), the bytes were never kept. One present but corrupt is.
    const gone = [
      ...img.layers.flatMap((l) => (l.blob && f.blobs.corrupt.has(l.blob.digest) ? [l.blob.digest] : [])),
      ...img.manifests.map((m) => m.digest).filter((d) => !usable(d)),
    ];
    if (gone.length) {
      problems.push({
        type: 'image',
        id: img.id,
        ...(name ? { name } : {}),
        problem: `names ${gone.length} blob(s) that are missing or corrupt: ${gone.join(', ')}`,
        action: 'forget-blobs',
      });
      plan.forgetBlobs.push({ id: img.id, digests: gone });
    }
  }

  for (const c of f.containers) {
    if (c.phase !== 'ready') continue; // being created or removed: startup recovery finishes those
    const why = (c.imageChainId && layerProblem(c.imageChainId)) || c.snapshotProblem || (c.dirPresent ? undefined : 'its directory is missing');
    if (!why) continue;
    if (c.live) {
      problems.push({ type: 'container', id: c.id, name: c.name, problem: why, action: 'none', leftBecause: 'it is running' });
      continue;
    }
    problems.push({ type: 'container', id: c.id, name: c.name, problem: why, action: 'quarantine' });
    plan.quarantineContainers.push(c.id);
  }
  return plan;
}

function imageProblem(img: ImageFacts, usable: (d: Digest) => boolean, layerProblem: (chainId: Digest) => string | undefined): string | undefined {
  if (!usable(img.id)) return 'its config blob is missing or corrupt';
  if ('problem' in img.config) return `its config is unusable: ${img.config.problem}`;
  const diffIds = img.config.diffIds;
  const chains = chainIds(diffIds);
  if (diffIds.length !== img.layers.length || img.layers.some((l, i) => l.diffId !== diffIds[i] || l.chainId !== chains[i]))
    return 'its layers do not match the diffIDs of its config';
  for (const l of img.layers) {
    const p = layerProblem(l.chainId);
    if (p) return p;
  }
  return undefined;
}
