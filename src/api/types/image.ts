// Docker Engine API v1.45 wire types for images.
import type { ContainerConfig, GraphDriver } from './container.js';

/** GET /images/json item. */
export interface ImageSummary {
  Id: string;
  ParentId: string;
  RepoTags: string[];
  RepoDigests: string[];
  Created: number; // unix seconds
  Size: number;
  SharedSize: number;
  VirtualSize?: number;
  Labels: Record<string, string> | null;
  Containers: number;
  /** API 1.48: the image's target; for a name holding several platforms, the index it was pulled or pushed as. */
  Descriptor?: OciDescriptor;
  /** API 1.47 (`manifests=1`): one entry per platform the name holds. */
  Manifests?: ImageManifestSummary[];
}

export interface OciPlatform {
  architecture: string;
  os: string;
  variant?: string;
}

export interface OciDescriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: OciPlatform;
}

/** API 1.47's ManifestSummary: one platform's manifest of an image name. */
export interface ImageManifestSummary {
  ID: string;
  Descriptor: OciDescriptor;
  Available: boolean;
  Size: { Total: number; Content: number };
  Kind: 'image' | 'attestation' | 'unknown';
  ImageData?: { Platform: OciPlatform; Containers: string[]; Size: { Unpacked: number } };
}

/** GET /images/{name}/json. */
export interface ImageInspect {
  Id: string;
  RepoTags: string[];
  RepoDigests: string[];
  Parent: string;
  Comment: string;
  Created: string; // RFC 3339
  Container?: string;
  ContainerConfig?: ContainerConfig;
  DockerVersion: string;
  Author: string;
  Config: ContainerConfig;
  Architecture: string;
  Variant?: string;
  Os: string;
  OsVersion?: string;
  Size: number;
  VirtualSize?: number;
  GraphDriver: GraphDriver;
  RootFS: { Type: string; Layers?: string[] };
  Metadata: { LastTagTime?: string };
}

/** GET /images/{name}/history item. */
export interface HistoryItem {
  Id: string; // "<missing>" for layers without a local image
  Created: number;
  CreatedBy: string;
  Tags: string[] | null;
  Size: number;
  Comment: string;
}

/** DELETE /images/{name} item: exactly one of the two keys. */
/** One row of GET /images/search (the registry's /v1/search result). */
export interface ImageSearchResult {
  name: string;
  description: string;
  star_count: number;
  is_official: boolean;
  is_automated: boolean;
}
export interface ImageDeleteResponseItem {
  Untagged?: string;
  Deleted?: string;
}
export interface ImagePruneResponse {
  ImagesDeleted: ImageDeleteResponseItem[] | null;
  SpaceReclaimed: number;
}
/** POST /commit response. */
export interface IdResponse {
  Id: string;
}
