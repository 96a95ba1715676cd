// Test support for pulls: the real registry server from Debian (docker-registry, distribution
// 2.8) on 127.0.0.1 with its storage in a temp dir, a recording/corrupting proxy in front of
// it, and helpers that push images into it with plain HTTP calls (monolithic blob uploads and
// manifest PUTs), the way a client pushes. Only loopback traffic.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { createServer, request, type Server } from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import type { AddressInfo } from 'node:net';

const execFileP = promisify(execFile);
export const REGISTRY_BIN = '/usr/bin/docker-registry';
export const ROOT = new URL('../../../../', import.meta.url).pathname; // dist/test/integration/registry -> repo

export const MT = {
  manifest: 'application/vnd.docker.distribution.manifest.v2+json',
  list: 'application/vnd.docker.distribution.manifest.list.v2+json',
  config: 'application/vnd.docker.container.image.v1+json',
  layer: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
} as const;

export const sha = (b: Buffer | string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

export function registryAvailable(): boolean {
  return existsSync(REGISTRY_BIN);
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

export interface HttpResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

export function http(url: string, o: { method?: string; headers?: Record<string, string>; body?: Buffer | string } = {}): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: o.method ?? 'GET', headers: o.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(o.body);
  });
}

/** Monolithic upload to any registry at `base`: POST an upload, PUT the bytes with ?digest=. */
export async function pushBlobTo(base: string, repo: string, data: Buffer, auth: Record<string, string> = {}): Promise<string> {
  const digest = sha(data);
  const start = await http(`${base}/v2/${repo}/blobs/uploads/`, { method: 'POST', headers: { ...auth, 'Content-Length': '0' } });
  if (start.status !== 202) throw new Error(`upload start: ${start.status} ${start.body}`);
  const loc = new URL(String(start.headers.location), base);
  loc.searchParams.set('digest', digest);
  const put = await http(loc.href, {
    method: 'PUT',
    headers: { ...auth, 'Content-Type': 'application/octet-stream', 'Content-Length': String(data.length) },
    body: data,
  });
  if (put.status !== 201) throw new Error(`blob put: ${put.status} ${put.body}`);
  return digest;
}

/** PUT a manifest to any registry at `base`; returns its digest. */
export async function pushManifestTo(
  base: string,
  repo: string,
  ref: string,
  body: Buffer,
  mediaType: string,
  auth: Record<string, string> = {},
): Promise<string> {
  const r = await http(`${base}/v2/${repo}/manifests/${ref}`, {
    method: 'PUT',
    headers: { ...auth, 'Content-Type': mediaType, 'Content-Length': String(body.length) },
    body,
  });
  if (r.status !== 201) throw new Error(`manifest put: ${r.status} ${r.body}`);
  return sha(body);
}

export class TestRegistry {
  private constructor(
    readonly dir: string,
    readonly port: number,
    private readonly proc: ChildProcess,
    readonly logs: string[], // its stdout and stderr, for failure messages
    private readonly auth?: string,
  ) {}

  get host(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** Starts docker-registry; with `htpasswd` it requires Basic auth (bcrypt file made by htpasswd -B). */
  static async start(o: { htpasswd?: { user: string; password: string } } = {}): Promise<TestRegistry> {
    const dir = await mkdtemp(join(tmpdir(), `berth-registry-${process.pid}-`));
    const port = await freePort();
    let auth = '';
    if (o.htpasswd) {
      const { stdout } = await execFileP('htpasswd', ['-Bbn', o.htpasswd.user, o.htpasswd.password]);
      await writeFile(join(dir, 'htpasswd'), stdout);
      auth = `auth:\n  htpasswd:\n    realm: berth-test\n    path: ${join(dir, 'htpasswd')}\n`;
    }
    const config = `version: 0.1\nlog:\n  level: warn\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: ${join(dir, 'storage')}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:${port}\n${auth}`;
    await writeFile(join(dir, 'config.yml'), config);
    const logs: string[] = [];
    const proc = spawn(REGISTRY_BIN, ['serve', join(dir, 'config.yml')], { stdio: ['ignore', 'pipe', 'pipe'] });
    proc.stdout!.on('data', (c: Buffer) => logs.push(c.toString()));
    proc.stderr!.on('data', (c: Buffer) => logs.push(c.toString()));
    const basic = o.htpasswd ? 'Basic ' + Buffer.from(`${o.htpasswd.user}:${o.htpasswd.password}`).toString('base64') : undefined;
    const reg = new TestRegistry(dir, port, proc, logs, basic);
    const deadline = Date.now() + 15_000;
    for (;;) {
      if (proc.exitCode !== null) throw new Error(`docker-registry exited: ${logs.join('')}`);
      const r = await http(`http://${reg.host}/v2/`).catch(() => undefined);
      if (r && (r.status === 200 || r.status === 401)) return reg;
      if (Date.now() > deadline) throw new Error(`docker-registry did not come up: ${logs.join('')}`);
      await new Promise((res) => setTimeout(res, 50));
    }
  }

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    return this.auth ? { ...extra, Authorization: this.auth } : extra;
  }

  pushBlob(repo: string, data: Buffer): Promise<string> {
    return pushBlobTo(`http://${this.host}`, repo, data, this.headers());
  }

  pushManifest(repo: string, ref: string, body: Buffer, mediaType: string): Promise<string> {
    return pushManifestTo(`http://${this.host}`, repo, ref, body, mediaType, this.headers());
  }

  async stop(): Promise<void> {
    if (this.proc.exitCode === null && this.proc.signalCode === null) {
      const gone = new Promise((r) => this.proc.once('exit', r));
      this.proc.kill('SIGTERM');
      await gone;
    }
    await rm(this.dir, { recursive: true, force: true });
  }
}

export interface LayerBlob {
  blob: Buffer; // as pushed (gzip or plain tar)
  diffId: string;
  mediaType: string;
}

/** The busybox rootfs (scripts/make-busybox-rootfs.sh) as one layer, gzip-compressed. */
export async function busyboxLayer(workDir: string): Promise<LayerBlob> {
  const rootfs = join(workDir, `rootfs-${Math.random().toString(36).slice(2, 8)}`);
  await execFileP(join(ROOT, 'scripts/make-busybox-rootfs.sh'), [rootfs]);
  const { stdout } = await execFileP('tar', ['-C', rootfs, '--sort=name', '--owner=0', '--group=0', '--numeric-owner', '-cf', '-', '.'], {
    encoding: 'buffer',
    maxBuffer: 64 << 20,
  });
  await rm(rootfs, { recursive: true, force: true });
  const tar = stdout as Buffer;
  return { blob: gzipSync(tar), diffId: sha(tar), mediaType: MT.layer };
}

/** A small extra layer with one file (plain tar or gzip). */
export async function fileLayer(workDir: string, name: string, text: string, gzip = true): Promise<LayerBlob> {
  const d = join(workDir, `f-${Math.random().toString(36).slice(2, 8)}`);
  await execFileP('mkdir', ['-p', d]);
  await writeFile(join(d, name), text);
  const { stdout } = await execFileP('tar', ['-C', d, '--owner=0', '--group=0', '--numeric-owner', '-cf', '-', name], { encoding: 'buffer' });
  await rm(d, { recursive: true, force: true });
  const tar = stdout as Buffer;
  return gzip ? { blob: gzipSync(tar), diffId: sha(tar), mediaType: MT.layer } : { blob: tar, diffId: sha(tar), mediaType: MT.ociLayer };
}

export function configFor(layers: LayerBlob[], o: { architecture?: string; os?: string; cmd?: string[]; env?: string[] } = {}): Buffer {
  return Buffer.from(
    JSON.stringify({
      architecture: o.architecture ?? 'amd64',
      os: o.os ?? 'linux',
      created: '2024-01-01T00:00:00Z',
      config: { Env: o.env ?? ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], Cmd: o.cmd ?? ['sh'] },
      rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
      history: layers.map(() => ({ created: '2024-01-01T00:00:00Z', created_by: 'test' })),
    }),
  );
}

export interface PushedImage {
  manifest: Buffer;
  digest: string; // manifest digest
  configDigest: string;
  mediaType: string;
  layerDigests: string[];
}

/** Pushes blobs and a manifest; `tag` may be undefined (push by digest, e.g. index children). */
export async function pushImage(
  reg: Pick<TestRegistry, 'pushBlob' | 'pushManifest'>,
  repo: string,
  tag: string | undefined,
  layers: LayerBlob[],
  o: { architecture?: string; oci?: boolean; cmd?: string[]; layerDescriptors?: (d: { mediaType: string; digest: string; size: number }[]) => typeof d } = {},
): Promise<PushedImage> {
  const config = configFor(layers, { architecture: o.architecture, cmd: o.cmd });
  const configDigest = await reg.pushBlob(repo, config);
  let descs = [];
  for (const l of layers)
    descs.push({
      mediaType: o.oci ? (l.mediaType === MT.layer ? MT.ociLayerGzip : l.mediaType) : l.mediaType,
      digest: await reg.pushBlob(repo, l.blob),
      size: l.blob.length,
    });
  if (o.layerDescriptors) descs = o.layerDescriptors(descs);
  const mediaType = o.oci ? MT.ociManifest : MT.manifest;
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType,
      config: { mediaType: o.oci ? MT.ociConfig : MT.config, digest: configDigest, size: config.length },
      layers: descs,
    }),
  );
  const digest = await reg.pushManifest(repo, tag ?? sha(manifest), manifest, mediaType);
  return { manifest, digest, configDigest, mediaType, layerDigests: descs.map((d) => d.digest) };
}

export async function pushIndex(
  reg: Pick<TestRegistry, 'pushBlob' | 'pushManifest'>,
  repo: string,
  tag: string,
  entries: { image: PushedImage; platform: { os: string; architecture: string; variant?: string } }[],
  oci = true,
): Promise<string> {
  const mediaType = oci ? MT.ociIndex : MT.list;
  const body = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType,
      manifests: entries.map((e) => ({ mediaType: e.image.mediaType, digest: e.image.digest, size: e.image.manifest.length, platform: e.platform })),
    }),
  );
  return reg.pushManifest(repo, tag, body, mediaType);
}

/** A proxy in front of the registry that records requests and can corrupt chosen blobs. */
export class RecordingProxy {
  readonly requests: string[] = [];
  readonly corrupt = new Set<string>();
  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  get host(): string {
    return `127.0.0.1:${this.port}`;
  }

  static async start(target: string): Promise<RecordingProxy> {
    let self: RecordingProxy | undefined;
    const server = createServer((req, res) => {
      self!.requests.push(`${req.method} ${req.url}`);
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const up = request(`http://${target}${req.url}`, { method: req.method, headers: { ...req.headers, host: target } }, (ur) => {
          const body: Buffer[] = [];
          ur.on('data', (c: Buffer) => body.push(c));
          ur.on('end', () => {
            let b = Buffer.concat(body);
            const m = /\/blobs\/(sha256:[a-f0-9]{64})$/.exec(req.url ?? '');
            if (m && self!.corrupt.has(m[1]!) && b.length) {
              b = Buffer.from(b);
              b[Math.floor(b.length / 2)]! ^= 0xff;
            }
            res.writeHead(ur.statusCode ?? 502, ur.headers);
            res.end(b);
          });
        });
        up.on('error', () => res.writeHead(502).end());
        up.end(Buffer.concat(chunks));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    self = new RecordingProxy(server, (server.address() as AddressInfo).port);
    return self;
  }

  blobGets(): string[] {
    return this.requests.filter((r) => /^GET .*\/blobs\//.test(r));
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((r) => this.server.close(r));
  }
}
