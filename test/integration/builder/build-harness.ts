// An in-process daemon for the build tests: the real stores, crun, berth-shim and overlayfs,
// the builder (createBuilder) with its routes (buildRoutes), the image routes (history,
// inspect, tag, rmi) and /_ping + /version, on a private data root, socket and cgroup parent.
// Until the lead mounts POST /build in berthd this is how the build route is exercised end to
// end. Built images are run with the builder's own container runner (runImage).
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { FsContentStore } from '../../../src/store/content/fs-content-store.js';
import { OverlayLayerStore } from '../../../src/store/layers/overlay-layer-store.js';
import { ImageStore } from '../../../src/image/image-store.js';
import { CliRuntime } from '../../../src/runtime/oci/cli-runtime.js';
import { prepareHost, findRuntime } from '../../../src/runtime/oci/host-setup.js';
import { ShimMonitor, findShimBinary } from '../../../src/runtime/monitor/shim-monitor.js';
import { ApiServer } from '../../../src/api/server/http-server.js';
import { sendJson } from '../../../src/lib/http/route.js';
import { imageRoutes } from '../../../src/api/routes/images.js';
import { imageBackend } from '../../../src/daemon/routes.js';
import { buildRoutes } from '../../../src/api/routes/build.js';
import { createBuilder, type Builder } from '../../../src/builder/executor/builder.js';
import { Workspace } from '../../../src/builder/executor/workspace.js';
import { runContainer } from '../../../src/builder/executor/run-container.js';
import { cleanupHost, run, BERTH, ROOT, type RunResult } from '../../support/daemon.js';

const execFileP = promisify(execFile);

export class BuildHarness {
  private constructor(
    readonly dir: string,
    readonly dataRoot: string,
    readonly socket: string,
    readonly cgroupParent: string,
    readonly server: ApiServer,
    readonly builder: Builder,
    readonly images: ImageStore,
    readonly layers: OverlayLayerStore,
    readonly runtime: CliRuntime,
  ) {}

  get host(): string {
    return `unix://${this.socket}`;
  }

  static async start(): Promise<BuildHarness> {
    const dir = await mkdtemp(join(tmpdir(), 'berth-build-'));
    const dataRoot = join(dir, 'data');
    const socket = join(dir, 'b.sock');
    const cgroupParent = `/berth-build-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
    await mkdir(dataRoot, { recursive: true });
    await prepareHost();
    const content = await FsContentStore.open(join(dataRoot, 'content'));
    const layers = await OverlayLayerStore.open(join(dataRoot, 'overlay'));
    const events: Array<{ action: string; id: string }> = [];
    const images = await ImageStore.open({
      root: join(dataRoot, 'images'),
      content,
      layers,
      events: { emit: (action, id) => void events.push({ action, id }) },
    });
    const runtime = new CliRuntime({
      name: 'crun',
      path: await findRuntime('crun'),
      root: join(dataRoot, 'runtime', 'crun'),
      seccompCacheDir: join(dataRoot, 'runtime', 'seccomp-cache'),
    });
    const monitor = new ShimMonitor({ shimPath: findShimBinary(), runtime });
    const builder = await createBuilder({ dataRoot, images, layers, runtime, monitor, spec: { cgroupParent } });
    const ping = async (ctx: { res: import('node:http').ServerResponse }) => {
      ctx.res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': 2 }).end('OK');
    };
    const server = new ApiServer({
      serverHeader: 'Berth/test (linux)',
      routes: [
        ...buildRoutes({ builder }),
        ...imageRoutes({ images: imageBackend(images) }), // no containers use its images here
        { method: 'GET', path: '/_ping', handler: ping },
        { method: 'HEAD', path: '/_ping', handler: ping },
        {
          method: 'GET',
          path: '/version',
          handler: async (ctx) => sendJson(ctx.res, 200, { Version: '28.0.0', ApiVersion: '1.45', MinAPIVersion: '1.24', Os: 'linux', Arch: 'amd64' }),
        },
      ],
    });
    await server.listen(socket);
    const h = new BuildHarness(dir, dataRoot, socket, cgroupParent, server, builder, images, layers, runtime);
    h.monitor = monitor;
    h.events = events;
    return h;
  }

  monitor!: ShimMonitor;
  events!: Array<{ action: string; id: string }>;

  /**
   * Runs an image with its config (entrypoint + cmd, env, workdir, user), returns the output.
   * `shell` replaces the Cmd (as a /bin/sh -c script when the image has no entrypoint).
   */
  async runImage(ref: string, shell?: string): Promise<{ exitCode: number; output: string }> {
    const id = this.images.resolve(ref).id;
    const c = this.images.config(id).config ?? {};
    const ws = await Workspace.open(this.images, this.layers, join(this.dataRoot, 'builder', 'runs'), id);
    let output = '';
    try {
      const r = await runContainer(ws, {
        runtime: this.runtime,
        monitor: this.monitor,
        cgroupParent: this.cgroupParent,
        args: shell === undefined ? [...(c.Entrypoint ?? []), ...(c.Cmd ?? [])] : c.Entrypoint?.length ? [...c.Entrypoint, shell] : ['/bin/sh', '-c', shell],
        env: c.Env ?? [],
        cwd: c.WorkingDir || '/',
        user: c.User ?? '',
        mounts: [],
        network: 'none',
        onOutput: (t) => (output += t),
      });
      return { exitCode: r.exitCode, output };
    } finally {
      await ws.dispose();
    }
  }

  berth(args: string[], opts: { input?: string | Buffer; cwd?: string } = {}): Promise<RunResult> {
    return run(process.execPath, [BERTH, ...args], { input: opts.input, env: { ...process.env, DOCKER_HOST: this.host } });
  }

  docker(args: string[]): Promise<RunResult> {
    return run('docker', args, { env: { ...process.env, DOCKER_HOST: this.host, DOCKER_BUILDKIT: '0', DOCKER_CONFIG: join(this.dir, 'docker-config') } });
  }

  async importBusybox(ref = 'busybox:latest'): Promise<void> {
    const rootfs = join(this.dir, 'rootfs');
    await execFileP(join(ROOT, 'scripts/make-busybox-rootfs.sh'), [rootfs]);
    await execFileP('tar', ['-C', rootfs, '-cf', join(this.dir, 'rootfs.tar'), '.']);
    const r = await this.berth(['import', join(this.dir, 'rootfs.tar'), ref]);
    if (r.code !== 0) throw new Error(`import failed: ${r.stderr}`);
    await rm(rootfs, { recursive: true, force: true });
  }

  /** What a build may leave behind: build-* snapshots, runtime containers, mounts, run dirs. */
  async leftovers(): Promise<string[]> {
    const out: string[] = [];
    for (const k of await this.layers.listSnapshots()) if (k.startsWith('build-')) out.push(`snapshot ${k}`);
    for (const s of await this.runtime.list()) if (s.id.startsWith('build-')) out.push(`container ${s.id}`);
    const { readFile, readdir } = await import('node:fs/promises');
    for (const l of (await readFile('/proc/self/mountinfo', 'utf8')).split('\n')) {
      const m = l.split(' ')[4];
      if (m?.startsWith(join(this.dataRoot, 'builder'))) out.push(`mount ${m}`);
    }
    for (const d of await readdir(join(this.dataRoot, 'builder', 'runs'))) out.push(`run dir ${d}`);
    for (const ctl of ['memory', 'pids', 'cpu']) {
      const base = join('/sys/fs/cgroup', ctl, this.cgroupParent);
      if (existsSync(base))
        for (const c of await readdir(base, { withFileTypes: true })) if (c.isDirectory() && c.name.startsWith('build-')) out.push(`cgroup ${ctl}/${c.name}`);
    }
    return out;
  }

  async stop(): Promise<void> {
    await this.server.close().catch(() => {});
    const ids = (await this.runtime.list().catch(() => [])).map((s) => s.id);
    for (const id of ids) await this.runtime.delete(id, true).catch(() => {});
    await cleanupHost(this.dataRoot, this.cgroupParent);
    await rm(this.dir, { recursive: true, force: true });
  }
}

export { run };
