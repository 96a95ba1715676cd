// com.docker.compose.config-hash: sha256 of the service's canonical JSON. Like compose's
// ServiceHash, fields that never require recreating a container are left out, so changing
// them does not make `up` recreate: build (the image id is compared instead), pull_policy,
// scale and deploy.replicas (handled by scaling), depends_on and profiles (ordering/selection).
// Keys are sorted (compose hashes Go's struct order), so the value differs from compose's own:
// a container created by docker compose is recreated once by berth, never the reverse loop.
import { createHash } from 'node:crypto';
import { canonicalJson } from './canonical-json.js';
import type { Project, ServiceConfig } from './model.js';

export function hashableService(service: ServiceConfig): ServiceConfig {
  const { build: _b, pull_policy: _p, scale: _s, depends_on: _d, profiles: _pr, ...rest } = service;
  if (rest.deploy) {
    const { replicas: _r, ...deploy } = rest.deploy;
    rest.deploy = deploy as typeof rest.deploy;
  }
  return rest;
}

export function serviceConfigHash(project: Project, serviceName: string): string {
  const service = project.services[serviceName] ?? project.disabledServices[serviceName];
  if (!service) throw new Error(`no such service: ${serviceName}`);
  return createHash('sha256')
    .update(canonicalJson(hashableService(service)))
    .digest('hex');
}
