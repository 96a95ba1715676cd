// What Berth stores about volumes: one record per volume, and one per container that uses
// volumes (its decided mount points). A volume's references are the containers whose record
// names it, so "in use" survives a daemon restart and a container's references change in one
// atomic write.
import type { StoredRecord } from '../store/records/record-store.js';
import type { MountPoint } from './mount-point.js';

export interface VolumeRecord extends StoredRecord {
  name: string;
  driver: string; // 'local'
  createdAt: string; // RFC 3339 nano, UTC
  /** null when created without any (Docker shows `null`, not `{}`). */
  labels: Record<string, string> | null;
  options: Record<string, string> | null;
}

export interface ContainerVolumesRecord extends StoredRecord {
  containerId: string;
  mountPoints: MountPoint[];
  /** True between prepare (start) and release (exit): the container has its volumes mounted. */
  active: boolean;
  /** False until the first prepare did the copy-up (Docker copies once, when the container is new). */
  populated: boolean;
}

/** The names of the volumes a container references. */
export function volumeNamesOf(rec: ContainerVolumesRecord): string[] {
  return [...new Set(rec.mountPoints.filter((m) => m.type === 'volume' && m.name).map((m) => m.name!))];
}
