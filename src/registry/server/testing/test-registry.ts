// For tests: a registry server in-process on 127.0.0.1 over a temp root, and small push helpers
// that speak the wire with fetch (what the unit tests and the conformance suite share).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import type { Authorizer } from '../access.js';
import { createRegistryServer, type RegistryServerOptions } from '../server.js';
import { RegistryStorage } from '../storage.js';
import { Uploads } from '../uploads.js';

export const sha = (b: Buffer | string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

export interface TestRegistryServer {
  url: string;
  root: string;
  storage: RegistryStorage;
  uploads: Uploads;
  close(): Promise<void>;
}

export async function startTestRegistry(
  o: { readOnly?: boolean; authorizer?: Authorizer; extra?: Partial<RegistryServerOptions>; root?: string } = {},
): Promise<TestRegistryServer> {
  const root = o.root ?? (await mkdtemp(join(tmpdir(), 'berth-registry-')));
  const storage = await RegistryStorage.open(root);
  const uploads = new Uploads(storage);
  await uploads.recover();
  const server = createRegistryServer({
    storage,
    uploads,
    ...(o.readOnly ? { readOnly: true } : {}),
    ...(o.authorizer ? { authorizer: o.authorizer } : {}),
    ...o.extra,
  });
  const port = await server.listenTcp(0, '127.0.0.1');
  return {
    url: `http://127.0.0.1:${port}`,
    root,
    storage,
    uploads,
    close: async () => {
      await server.close();
      if (!o.root) await rm(root, { recursive: true, force: true });
    },
  };
}

/** One blob by single POST; returns its digest. */
export async function pushBlob(url: string, repo: string, data: Buffer | string, headers: Record<string, string> = {}): Promise<string> {
  const d = sha(data);
  const r = await fetch(`${url}/v2/${repo}/blobs/uploads/?digest=${d}`, {
    method: 'POST',
    body: data,
    headers: { 'Content-Type': 'application/octet-stream', ...headers },
  });
  if (r.status !== 201) throw new Error(`push blob: ${r.status} ${await r.text()}`);
  return d;
}

export interface PushedManifest {
  digest: string;
  body: string;
  config: string;
  layers: string[];
}

/** A config and one layer per entry of `layers`, then an OCI (or Docker) manifest under `ref`. */
export async function pushImage(
  url: string,
  repo: string,
  ref: string,
  o: {
    layers?: string[];
    docker?: boolean;
    subject?: { digest: string; size: number; mediaType: string };
    artifactType?: string;
    headers?: Record<string, string>;
  } = {},
): Promise<PushedManifest> {
  const h = o.headers ?? {};
  const config = JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] }, note: `${repo}:${ref}:${Math.random()}` });
  const configDigest = await pushBlob(url, repo, config, h);
  const layers: string[] = [];
  for (const l of o.layers ?? ['layer-a']) layers.push(await pushBlob(url, repo, l, h));
  const mediaType = o.docker ? 'application/vnd.docker.distribution.manifest.v2+json' : 'application/vnd.oci.image.manifest.v1+json';
  const manifest: Record<string, unknown> = {
    schemaVersion: 2,
    mediaType,
    config: {
      mediaType: o.docker ? 'application/vnd.docker.container.image.v1+json' : 'application/vnd.oci.image.config.v1+json',
      digest: configDigest,
      size: Buffer.byteLength(config),
    },
    layers: (o.layers ?? ['layer-a']).map((l, i) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: layers[i], size: Buffer.byteLength(l) })),
  };
  if (o.artifactType) manifest.artifactType = o.artifactType;
  if (o.subject) manifest.subject = o.subject;
  const body = JSON.stringify(manifest);
  const r = await fetch(`${url}/v2/${repo}/manifests/${ref}`, { method: 'PUT', body, headers: { 'Content-Type': mediaType, ...h } });
  if (r.status !== 201) throw new Error(`push manifest: ${r.status} ${await r.text()}`);
  return { digest: r.headers.get('docker-content-digest')!, body, config: configDigest, layers };
}

export async function errorCode(r: Response): Promise<string> {
  const j = (await r.json()) as { errors: { code: string }[] };
  return j.errors[0]!.code;
}
