// LayerStore: image layers unpacked once into directories and stacked with kernel overlayfs,
// plus read-write snapshots for containers and build steps.
//
// Vocabulary (Docker's): a layer's diffId is the sha256 of its uncompressed tar; its chainId is
// diffId for the bottom layer and sha256(parentChainId + " " + diffId) above it. Committed
// layers are named by chainId; an active (writable) snapshot is named by a caller-chosen key.
//
// Lifecycle: applyLayer makes a layer visible only once fully unpacked (unpacked into a temp dir,
// then renamed); a crash leaves a temp dir that open() removes. Layers are reference-counted by
// their callers through the image store's records, not here: remove() refuses while a child or
// a snapshot still stands on the layer.
import type { Readable } from 'node:stream';
import type { Digest } from '../../lib/digest.js';
import type { ChangesOptions, LayerChange } from './overlay-changes.js';
import type { ExpectedBlob } from './blob-check.js';
import type { BlobSource } from './unpack-protocol.js';

export type { BlobSource };

/** A mount description: storage returns these; the runtime performs them. */
export interface Mount {
  type: string; // 'overlay' | 'bind' | 'tmpfs' ...
  source: string;
  options: string[];
}

export interface LayerInfo {
  chainId: Digest;
  diffId: Digest;
  parent: Digest | null; // parent chainId
  size: number; // bytes unpacked on disk (approximate du)
}

export interface LayerDamage {
  /** The layer's name: sha256:<directory name> (the directory may not hold a readable meta). */
  chainId: Digest;
  problem: string;
}

export interface ApplyOptions {
  signal?: AbortSignal;
}

/** What a pull adds to stageLayer: the input is a compressed blob checked on the way, and no copy of it is kept. */
export interface StageOptions extends ApplyOptions {
  /** The blob's descriptor: its sha256 and size are checked as it arrives (a mismatch fails with code LAYER_BLOB_MISMATCH, before any gzip or tar error). */
  blob?: ExpectedBlob;
  /** Record the tar's layout, so exportLayer gives back these exact bytes from the unpacked files. */
  layout?: boolean;
}

/**
 * A layer unpacked off to the side (invisible, removed by open() after a crash): unpacking needs
 * no parent, so a pull unpacks its layers in parallel while they download and stacks them after.
 */
export interface StagedLayer {
  readonly diffId: Digest;
  readonly size: number;
  /** The store's own name for it (a temp dir). */
  readonly handle: string;
  /** A layout was asked for and recorded: exportLayer replays the exact tar (none when the tar replaced its own entries). */
  readonly layout?: boolean;
}

export interface LayerStore {
  /**
   * Unpacks a layer tar (plain, gzip or zstd-detected by magic) on top of `parent`. Whiteouts
   * (`.wh.name`, `.wh..wh..opq`) become overlay whiteouts. Entries that would escape the layer
   * dir (../, absolute paths, links pointing out) are rejected with invalid-argument and nothing
   * is kept. If the resulting chainId already exists the data is discarded and the existing
   * layer returned.
   */
  applyLayer(parent: Digest | null, tar: Readable, opts?: ApplyOptions): Promise<LayerInfo>;
  /** The unpacking half of applyLayer: the same checks, nothing visible yet. */
  stageLayer(tar: Readable, opts?: StageOptions): Promise<StagedLayer>;
  /**
   * stageLayer of a blob the unpacker GETs itself from `source` (a pull: the bytes never cross
   * threads); undefined, with nothing staged, when the source answered anything but the whole
   * blob or the store cannot fetch: the caller then fetches the blob and calls stageLayer.
   */
  stageFetchedLayer?(source: BlobSource, opts: StageOptions & { blob: ExpectedBlob; onBytes?: (n: number) => void }): Promise<StagedLayer | undefined>;
  /**
   * The committing half: makes a staged layer the layer over `parent` (atomically, by rename) and
   * consumes it; if that chainId exists already the staged copy is dropped and the existing one returned.
   */
  commitStaged(parent: Digest | null, staged: StagedLayer): Promise<LayerInfo>;
  /** Drops a staged layer that will not be committed. */
  discardStaged(staged: StagedLayer): Promise<void>;
  get(chainId: Digest): Promise<LayerInfo | undefined>;
  list(): Promise<LayerInfo[]>;
  /**
   * The layer's own changes as an uncompressed tar with Docker whiteouts (for save/push): the
   * exact tar it was unpacked from when its layout was recorded, else packed from its files.
   */
  exportLayer(chainId: Digest): Readable;
  remove(chainId: Digest): Promise<void>;

  /** Creates a writable snapshot `key` over `parent` (null = empty) and returns its mounts. */
  prepare(key: string, parent: Digest | null, opts?: { readonly?: boolean }): Promise<Mount[]>;
  mounts(key: string): Promise<Mount[]>;
  /** The snapshot's upper dir as a layer tar with Docker whiteouts (for commit and build). */
  diff(key: string): Readable;
  /**
   * The diffID of the tar diff(key) would stream (hashed as it is packed, written nowhere), the
   * bytes of its regular files, its entry count, and `lossy` when the tar would leave out
   * something the upper dir holds (a socket, a device node, an xattr a layer may not carry).
   * Read it with the snapshot unmounted.
   */
  diffDigest(key: string, signal?: AbortSignal): Promise<{ diffId: Digest; size: number; entries: number; lossy?: string }>;
  /**
   * Makes the snapshot's upper dir, in place (flushed, then renamed: no copy), the layer over the
   * snapshot's parent, named by the diffId diffDigest measured; the snapshot is consumed. Only for
   * a snapshot that is unmounted, unchanged since diffDigest and not lossy. If that chainId exists
   * already the upper dir is dropped and the existing layer returned.
   */
  commitSnapshot(key: string, measured: { diffId: Digest; size: number }): Promise<LayerInfo>;
  /** Bytes written in the snapshot's upper dir. */
  usage(key: string): Promise<number>;
  /** The snapshot's changes over its parent layers, as `docker diff` lists them. */
  changes(key: string, opts?: ChangesOptions): Promise<LayerChange[]>;
  /** Path of the snapshot's upper dir (changes only). */
  upperDir(key: string): string;
  removeSnapshot(key: string): Promise<void>;
  listSnapshots(): Promise<string[]>;

  /**
   * Checks every committed layer on disk (not the in-memory view): metadata readable and naming
   * the directory it is in, chainId = chainIdOf(parent, diffId), the diff directory and short
   * present, the parent present and sound. Returns the sound layers and the damaged ones
   * (children of a damaged layer are damaged too). The short links are not checked: open()
   * remakes them. `full`: a layer with a recorded tar layout (a pulled one) is also replayed and
   * hashed against its diffID (pulled layers are not flushed to disk: see stageLayer).
   */
  checkLayers(opts?: { full?: boolean }): Promise<{ sound: Digest[]; damaged: LayerDamage[] }>;
  /** What is wrong with a snapshot on disk (metadata, upper/work dirs, its parent layer), or undefined when sound. */
  snapshotDamage(key: string): Promise<string | undefined>;
  /** Moves a committed layer out of the store into `dir`; images and snapshots on it must be dealt with by the caller. */
  quarantineLayer(chainId: Digest, dir: string): Promise<void>;
  /** Moves a snapshot (its changes kept for inspection) out of the store into `dir`; no-op if absent. Refused while mounted. */
  quarantineSnapshot(key: string, dir: string): Promise<void>;
}
