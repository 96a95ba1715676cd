// Small derived facts about the model that observe/plan/execute all need, defined once.
import type { ServiceConfig, ServiceSecretConfig } from './model.js';

/** Where a service's secret is mounted: its target, relative targets under /run/secrets. */
export function secretTarget(ref: ServiceSecretConfig): string {
  const t = ref.target ?? ref.source;
  return t.startsWith('/') ? t : `/run/secrets/${t}`;
}

/** Where a service's config is mounted: its target, else /<source>. */
export function configTarget(ref: ServiceSecretConfig): string {
  const t = ref.target ?? ref.source;
  return t.startsWith('/') ? t : `/${t}`;
}

/** How many containers the service wants: scale, else deploy.replicas, else 1. */
export function replicasOf(service: ServiceConfig): number {
  return service.scale ?? service.deploy?.replicas ?? 1;
}

/** The image a service runs: its `image`, else the name compose gives its build (`<project>-<service>`). */
export function imageOf(projectName: string, serviceName: string, service: ServiceConfig): string {
  return service.image ?? `${projectName}-${serviceName}`;
}
