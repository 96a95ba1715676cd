// What the builder needs from the daemon, what a build is asked to do, and what it reports.
import type { Digest } from '../../lib/digest.js';
import type { ImageStore } from '../../image/image-store.js';
import type { LayerStore } from '../../store/layers/layer-store.js';
import type { OciRuntime } from '../../runtime/oci/oci-runtime.js';
import type { Monitor } from '../../runtime/monitor/monitor.js';

export interface BuilderDeps {
  /** The daemon's data root: the builder keeps <dataRoot>/builder and <dataRoot>/build-cache. */
  dataRoot: string;
  images: ImageStore;
  layers: LayerStore;
  /** The runtime RUN steps use, and the monitor that spawns containers through it. */
  runtime: OciRuntime;
  monitor: Monitor;
  spec: {
    /** Cgroup parent for RUN containers, e.g. '/berth' (each gets <parent>/build-<hex>). */
    cgroupParent: string;
  };
  /** Image events (tag) for the event stream; optional. */
  events?: { emit(action: string, id: string, attrs?: Record<string, string>): void };
}

export type BuildNetwork = 'host' | 'none' | 'bridge' | 'default';

export interface BuildRequest {
  /** An extracted build context the caller owns (the builder only reads it). */
  contextDir: string;
  /** Dockerfile path relative to the context (default "Dockerfile"). */
  dockerfile?: string;
  tags?: string[];
  buildArgs?: Record<string, string>;
  labels?: Record<string, string>;
  target?: string;
  noCache?: boolean;
  /** RUN networking: 'none' = private netns with loopback only; everything else = host. */
  network?: BuildNetwork;
  signal?: AbortSignal;
}

/** One jsonmessage of Docker's build stream. */
export interface BuildMessage {
  stream?: string;
  aux?: { ID: string };
  errorDetail?: { message: string; code?: number };
  error?: string;
}

export type Emit = (m: BuildMessage) => void;

export interface BuildResult {
  imageId: Digest;
  tags: string[]; // familiar form, as printed
}
