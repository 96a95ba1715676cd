// The container core's collaborators, as the interfaces it needs (declared here, by the code
// that needs them, as BuildNetworking is in the builder). The daemon passes the real ones
// (NetworkManager, ContainerVolumes, lib/mount); unit tests of decision code pass fakes, so
// recovery and restart races are tested without root.
import type { NetworkManager } from '../network/network-manager.js';
import type { ContainerVolumes } from '../volume/container-volumes.js';
import { isMountPoint, mountAll, unmount, type MountSpec } from '../lib/mount.js';

/**
 * The network domain as containers use it. Lifecycle: `attach` gives a starting container its
 * sandbox (checked first with `find`); `connect`/`disconnect` change a live one; `detach` frees
 * everything at exit; `info` is the live attachment (undefined once detached); `recover` runs
 * once at startup, keeping the sandboxes of containers that are still running.
 */
export type ContainerNetworks = Pick<NetworkManager, 'find' | 'attach' | 'detach' | 'connect' | 'disconnect' | 'info' | 'recover'>;

/**
 * Volumes and bind mounts as containers use them. Lifecycle: `attach` at create records the
 * mount points (and creates named volumes); `prepare` at each start returns the host mounts;
 * `release` at exit; `detach` at removal (anonymous volumes go when asked); `reconcile` once at
 * startup with the containers that exist and those that run.
 */
export type ContainerVolumeHost = Pick<ContainerVolumes, 'attach' | 'prepare' | 'release' | 'detach' | 'reconcile' | 'mountPoints'>;

/**
 * Mounting a container's root filesystem from the layer store's `Mount[]` (the layer store
 * describes, this performs). `mount` may be called only when `isMounted` is false; `unmount`
 * detaches lazily, so a busy mount never blocks an exit.
 */
export interface RootfsMounter {
  isMounted(target: string): Promise<boolean>;
  mount(mounts: MountSpec[], target: string): Promise<void>;
  unmount(target: string): Promise<void>;
}

export const kernelMounter: RootfsMounter = {
  isMounted: isMountPoint,
  mount: mountAll,
  unmount: (target) => unmount(target, { detach: true }),
};
