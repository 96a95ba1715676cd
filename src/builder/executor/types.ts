// What the builder needs from the daemon, what a build is asked to do, and what it reports.
import type { IdMap } from '../../lib/id-map.js';
import type { Digest } from '../../lib/digest.js';
import type { Platform } from '../../lib/platform.js';
import type { ImageStore } from '../../image/image-store.js';
import type { LayerStore } from '../../store/layers/layer-store.js';
import type { OciRuntime } from '../../runtime/oci/oci-runtime.js';
import type { Monitor } from '../../runtime/monitor/monitor.js';
import type { AttachRequest, AttachResult, NetworkRecord } from '../../network/types.js';

/**
 * The part of the network domain (NetworkManager) RUN steps on a bridge use: a sandbox is
 * attached before the step's container is created and detached after it exited. Sandboxes are
 * keyed by the step's build-* id, which no container record has, so the daemon's network
 * recovery tears down any a crash left behind.
 */
export interface BuildNetworking {
  attach(containerId: string, req: AttachRequest): Promise<AttachResult>;
  detach(containerId: string): Promise<void>;
  /** A network by name or id: the default bridge's gateway is what `--add-host x:host-gateway` means. */
  find(ref: string): NetworkRecord | undefined;
  /** `networkmode=container:<ref>`: the running container's namespace and etc files, which RUN steps share. */
  shared?(ref: string): Promise<{ netns: { path: string }; hostname: string; hosts: string; resolvConf: string }>;
}

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
    /** The daemon's --no-new-privileges: RUN containers get it too, as dockerd's builder containers do. */
    noNewPrivileges?: boolean;
    /** The daemon's --userns-remap maps: RUN containers get the user namespace too, COPY maps owners. */
    userns?: IdMap;
  };
  /**
   * Sandboxes for RUN steps on the default bridge (the default, as Docker's classic builder).
   * Without it (tests that build without a daemon) such steps get a loopback-only namespace.
   */
  networks?: BuildNetworking;
  /** The daemon's --dns: RUN containers' resolv.conf uses it as containers' does. */
  dns?: string[];
  /**
   * Pulls an image from its registry (src/registry/client): FROM of an image missing locally,
   * and every FROM image with `pull`. Progress arrives as Docker's pull jsonmessages. Without
   * it, a missing base image is an error.
   */
  pull?: (ref: string, o: { signal?: AbortSignal; onProgress?: (m: PullProgress) => void; platform?: string }) => Promise<{ id: Digest }>;
  /** Makes a foreign architecture runnable for RUN steps (qemu-user through binfmt_misc), or says why not. */
  emulation?: { ensure(platform: Platform): Promise<void> };
}

/** One pull progress message (the jsonmessage `docker pull` shows). */
export interface PullProgress {
  status: string;
  id?: string;
  progressDetail?: { current?: number; total?: number };
}

/** Docker's `networkmode`: these four, `container:<name|id>`, or the name or id of a user-defined network. */
export type BuildNetwork = 'host' | 'none' | 'bridge' | 'default' | (string & {});

export interface BuildRequest {
  /** An extracted build context the caller owns (the builder only reads it). */
  contextDir: string;
  /** sha256 hex of the context's files as unpacked (cache keys then need not read them). */
  contextDigests?: ReadonlyMap<string, string>;
  /** What contextDir holds, as unpacked (kind, mode, link target): cache keys read it instead of the disk. */
  contextIndex?: ReadonlyMap<string, { t: 'f' | 'd' | 'l'; m: number; l?: string }>;
  /** Dockerfile path relative to the context (default "Dockerfile"). */
  dockerfile?: string;
  tags?: string[];
  buildArgs?: Record<string, string>;
  labels?: Record<string, string>;
  target?: string;
  noCache?: boolean;
  /**
   * RUN networking (Docker's `networkmode`): 'default'/'bridge' = a sandbox on the default
   * bridge network, 'host' = the host's namespace, 'none' = a private one with loopback only,
   * `container:<ref>` that running container's network namespace (and its hosts, resolv.conf and
   * hostname), any other value a user-defined network the step joins (as the classic builder's containers).
   * A step's `RUN --network=host|none` overrides it.
   */
  network?: BuildNetwork;
  /** `--add-host` (the `extrahosts` parameter, compose's build.extra_hosts): "name:ip" lines in RUN steps' /etc/hosts. */
  extraHosts?: string[];
  /**
   * `--cache-from` (the `cachefrom` parameter): images whose history may serve as cache. Those
   * not present locally are skipped (as dockerd, which pulls none); naming any limits the local
   * cache to their ancestry.
   */
  cacheFrom?: string[];
  /** `--pull`: pull every FROM image from its registry even when it is present. */
  pull?: boolean;
  /**
   * `--platform` ("linux/arm64"): the target platform. FROM images are resolved (or pulled) for it
   * unless a FROM names its own, TARGETPLATFORM and friends follow it, and RUN steps of a foreign
   * architecture run under emulation. Absent: the host's.
   */
  platform?: string;
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
