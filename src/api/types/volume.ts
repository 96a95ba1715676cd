// Docker Engine API v1.45 wire types for /volumes (a volume itself is VolumeSummary in system.ts).
import type { VolumeSummary } from './system.js';

/** POST /volumes/create; the docker CLI omits empty fields. */
export interface VolumeCreateRequest {
  Name?: string;
  Driver?: string;
  DriverOpts?: Record<string, string>;
  Labels?: Record<string, string>;
}

/** GET /volumes. */
export interface VolumeListResponse {
  Volumes: VolumeSummary[] | null;
  Warnings: string[] | null;
}

/** POST /volumes/prune. */
export interface VolumePruneResponse {
  VolumesDeleted: string[] | null;
  SpaceReclaimed: number;
}
