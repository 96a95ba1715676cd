// The volume domain's vocabulary for a container's mounts. A MountInput is what the user asked
// for (Docker's HostConfig.Mounts entry, camelCased); a MountPoint is what resolveMounts decided
// (Docker's container.MountPoints entry), persisted per container; a HostMount is what the runtime
// performs (structurally the runtime's SpecMount: volume may not import runtime).

export type MountType = 'bind' | 'volume' | 'tmpfs';

/** One `--mount` entry (HostConfig.Mounts), as the user gave it. */
export interface MountInput {
  type: MountType;
  source?: string;
  target: string;
  readOnly?: boolean;
  bindOptions?: { propagation?: string; nonRecursive?: boolean; createMountpoint?: boolean };
  volumeOptions?: {
    noCopy?: boolean;
    labels?: Record<string, string>;
    driverConfig?: { name?: string; options?: Record<string, string> };
    subpath?: string;
  };
  tmpfsOptions?: { sizeBytes?: number; mode?: number; options?: string[][] };
}

/** What the container domain hands to resolveMounts (Docker's Binds/Mounts/Tmpfs/VolumesFrom/Config.Volumes). */
export interface MountsInput {
  binds: string[];
  mounts: MountInput[];
  tmpfs: Record<string, string>;
  /** `other[:ro|rw]` entries, resolved through `lookupContainer`. */
  volumesFrom: string[];
  /** Config.Volumes keys (the image's VOLUME merged with the create request's Volumes). */
  imageVolumes: string[];
  /** HostConfig.VolumeDriver ('' = local). */
  volumeDriver?: string;
}

/** A decided mount of a container. Persisted; `source` is filled for binds and volumes. */
export interface MountPoint {
  type: MountType;
  destination: string;
  /** bind: host path; volume: the volume's data path (or subpath in it); tmpfs: ''. */
  source: string;
  /** volume only. */
  name?: string;
  driver?: string;
  /** Docker's Mode text: the -v mode string ('ro', 'z', ...), '' otherwise. */
  mode: string;
  rw: boolean;
  /** bind: 'rprivate' unless given; '' for volumes and tmpfs (as Docker's inspect). */
  propagation: string;
  /** volume: fill an empty volume from the image's content at the destination on first start. */
  copyData: boolean;
  /** volume: created without a name (labelled com.docker.volume.anonymous). */
  anonymous?: boolean;
  /** volume: options and labels to create it with if it does not exist yet. */
  create?: { options?: Record<string, string> | null; labels?: Record<string, string> | null };
  /** volume: a path inside the volume (volume-subpath). */
  subpath?: string;
  /** bind: a missing source is created as a directory at start (-v, or bind-create-mountpoint). */
  createSource?: boolean;
  /** bind: 'bind' instead of 'rbind'. */
  nonRecursive?: boolean;
  /** tmpfs: mount data ('size=64m,mode=1777', Docker's ConvertTmpfsOptions / the --tmpfs value). */
  tmpfsData?: string;
  /** HostConfig.Tmpfs entries: mounted, but not listed in inspect's Mounts (as dockerd). */
  hidden?: boolean;
  /** Came from --volumes-from (never copied into, never removed with the container). */
  fromContainer?: string;
}

/** A mount for the runtime: assignable to runtime/specgen's SpecMount. */
export interface HostMount {
  destination: string;
  type: string;
  source: string;
  options: string[];
}

export const ANONYMOUS_LABEL = 'com.docker.volume.anonymous';
export const LOCAL_DRIVER = 'local';
