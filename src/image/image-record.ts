// What the image store keeps per image, beside the config blob in the content store.
// Vocabulary: the image id is the config digest; a manifest digest names one manifest that
// points at this config (only images pulled from or pushed to a registry have one).
import type { Digest } from '../lib/digest.js';
import type { StoredRecord } from '../store/records/record-store.js';

export interface ImageLayerRef {
  diffId: Digest; // sha256 of the uncompressed tar (rootfs.diff_ids[i])
  chainId: Digest; // name of the unpacked layer in the LayerStore
  size: number; // bytes unpacked (LayerStore's size), Docker's per-layer "Size"
  /**
   * The compressed blob this layer came from (a registry pull: the content store keeps its
   * bytes) or was pushed as (only its digest and size are remembered): check content.has().
   */
  blob?: { digest: Digest; mediaType: string; size: number };
}

export interface ImageManifestRef {
  digest: Digest;
  mediaType: string;
  size: number;
}

export interface ImageRecord extends StoredRecord {
  id: Digest; // config digest
  parent?: Digest; // local parent image id (commit and build), for history and child conflicts
  created: string; // RFC 3339, the config's created (or the time the image was made here)
  addedAt: string; // when this daemon stored the image (Metadata.LastTagTime stays in refs)
  size: number; // sum of layer sizes
  layers: ImageLayerRef[];
  manifests: ImageManifestRef[];
}

export function topChainId(rec: ImageRecord): Digest | null {
  return rec.layers.length ? rec.layers[rec.layers.length - 1]!.chainId : null;
}
