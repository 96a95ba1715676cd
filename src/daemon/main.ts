// berthd: the composition root. The only place that constructs concrete classes and wires them.
import { join } from 'node:path';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { log, setDebug } from '../lib/log.js';
import { errnoCode, isBerthError, messageOf } from '../lib/errors.js';
import { parseReference } from '../lib/reference.js';
import { FsContentStore } from '../store/content/fs-content-store.js';
import { OverlayLayerStore } from '../store/layers/overlay-layer-store.js';
import { RecordStore } from '../store/records/record-store.js';
import { ImageStore } from '../image/image-store.js';
import { CliRuntime } from '../runtime/oci/cli-runtime.js';
import { prepareHost, detectCgroupLayout, findRuntime } from '../runtime/oci/host-setup.js';
import { ShimMonitor, findShimBinary } from '../runtime/monitor/shim-monitor.js';
import type { OciRuntime } from '../runtime/oci/oci-runtime.js';
import { ContainerService } from '../container/container-service.js';
import { ExecService } from '../container/exec-service.js';
import { HealthMonitor } from '../container/health-monitor.js';
import { ContainerPaths } from '../container/paths.js';
import type { ContainerRecord } from '../container/container-record.js';
import { ApiServer, type ApiServerOptions } from '../api/server/http-server.js';
import { parseDaemonArgs, USAGE, type DaemonConfig } from './config.js';
import { lockDataRoot } from './lock.js';
import { hostOwner } from '../lib/id-map.js';
import { prepareRemappedRoot, resolveRemap } from './userns-remap.js';
import { mkdirPassable } from '../lib/mkdir-owned.js';
import type { DaemonTls } from './tls-config.js';
import type { ServerTls } from '../lib/http/http-server.js';
import { socketGroupGid } from './socket-group.js';
import { StoreImageSource } from './image-adapter.js';
import { buildRoutes } from './routes.js';
import { EventBus, type EventType } from '../lib/event-bus.js';
import { createBuilder } from '../builder/executor/builder.js';
import { VolumeStore } from '../volume/volume-store.js';
import { ContainerVolumes } from '../volume/container-volumes.js';
import { NetworkManager } from '../network/network-manager.js';
import { RegistryPuller } from '../registry/client/pull.js';
import { isLoopback, parseDashboardAddress } from '../dashboard-server/listen-address.js';
import { dashboardTokenRoutes } from '../dashboard-server/token-route.js';
import { packageRoot } from '../runtime/monitor/shim-path.js';
import { RegistryPusher } from '../registry/client/push.js';
import { checkLogin } from '../registry/client/login.js';
import { searchImages } from '../registry/client/search.js';
import { distributionInspect, inspectManifest } from '../registry/client/inspect.js';
import { isInsecureHost } from '../registry/client/endpoint.js';
import { Binfmt } from '../runtime/emulation/binfmt.js';
import { enableIdleTrim, pokeIdleTrim } from '../lib/idle-trim.js';
import { limitMallocRetention } from '../lib/malloc-policy.js';

export const VERSION = '0.1.0';

function readConfigFile(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') return undefined;
    throw e;
  }
}

async function main(argv: string[]): Promise<void> {
  const parsed = parseDaemonArgs(argv, readConfigFile);
  if (parsed === 'help') return void process.stdout.write(USAGE);
  if (parsed === 'version') return void process.stdout.write(`Berth version ${VERSION}\n`);
  let cfg: DaemonConfig = parsed;
  setDebug(cfg.debug);
  // Checked before anything is touched: a refused dashboard address is a usage error.
  const dashboardAddress = cfg.dashboard !== undefined ? parseDashboardAddress(cfg.dashboard, { tls: cfg.dashboardTlsCert !== undefined }) : undefined;
  // Read now: a missing or unreadable certificate is a start-up error, not a later 500.
  const dashboardTls =
    cfg.dashboardTlsCert !== undefined ? { cert: await readFile(cfg.dashboardTlsCert), key: await readFile(cfg.dashboardTlsKey!) } : undefined;
  const tcpTls = cfg.tls ? await loadServerTls(cfg.tls) : undefined;
  if (dashboardAddress && !cfg.socketPath) throw new Error('--dashboard needs a unix socket (-H unix:///path): it forwards to the Engine API over it');
  if (process.getuid?.() !== 0) throw new Error('berthd must run as root');
  limitMallocRetention(); // before libuv's pool and koffi's worker start
  await socketGroupGid(cfg.group); // an explicit -G that does not exist is a usage error, before anything is touched

  // --userns-remap: a tree of its own per remapping (dockerd's <data-root>/<uid>.<gid>), which the remapped root may pass.
  const remap = cfg.usernsRemap ? await resolveRemap(cfg.usernsRemap) : undefined;
  if (remap) {
    if (remap.warning) log.warn(remap.warning);
    if (!remap.map) cfg = { ...cfg, usernsRemap: undefined }; // root: no user namespace, so info does not list one
    cfg = { ...cfg, dataRoot: await prepareRemappedRoot(cfg.dataRoot, remap) };
    if (remap.map) log.info('user namespaces: container root is mapped', { user: remap.user, uid: remap.rootUid, gid: remap.rootGid, dataRoot: cfg.dataRoot });
  }
  const userns = remap?.map;
  await mkdir(cfg.dataRoot, { recursive: true, mode: 0o711 });
  const unlock = await lockDataRoot(cfg.dataRoot);
  await prepareHost();

  const content = await FsContentStore.open(join(cfg.dataRoot, 'content'));
  const layers = await OverlayLayerStore.open(join(cfg.dataRoot, 'overlay'), userns ? { idMap: userns } : {});
  // Every domain reports its own events (once each) to the bus behind GET /events.
  const events = new EventBus();
  const sink = (type: EventType) => ({
    emit: (action: string, id: string, attributes?: Record<string, string>) =>
      void events.publish({ type, action, actor: { id, attributes: attributes ?? {} } }),
  });
  const images = await ImageStore.open({ root: join(cfg.dataRoot, 'images'), content, layers, events: sink('image') });

  const puller = new RegistryPuller(images, { insecureRegistries: cfg.insecureRegistries, loopbackOnly: cfg.registryLoopbackOnly });
  const pusher = new RegistryPusher(images, { insecureRegistries: cfg.insecureRegistries, loopbackOnly: cfg.registryLoopbackOnly });
  const runtimes = new Map<string, OciRuntime>();
  for (const name of ['crun', 'runc'] as const) {
    const path = await findRuntime(name).catch(() => undefined);
    if (path)
      runtimes.set(
        name,
        new CliRuntime({ name, path, root: join(cfg.dataRoot, 'runtime', name), seccompCacheDir: join(cfg.dataRoot, 'runtime', 'seccomp-cache') }),
      );
  }
  if (!runtimes.has(cfg.runtime)) throw new Error(`the OCI runtime ${cfg.runtime} is not installed (apt-get install ${cfg.runtime})`);
  const shimPath = findShimBinary();
  const monitors = new Map([...runtimes].map(([name, runtime]) => [name, new ShimMonitor({ shimPath, runtime })]));
  const monitor = monitors.get(cfg.runtime)!;

  // Registered lazily, when a container or build step of a foreign architecture first starts:
  // a berthd that never runs one leaves the host's binfmt_misc alone.
  const binfmt = new Binfmt();

  const volumeStore = await VolumeStore.open(join(cfg.dataRoot, 'volumes'), {
    events: sink('volume'),
    ...(userns ? { rootOwner: hostOwner(userns, 0, 0) } : {}),
  });
  const volumes = new ContainerVolumes(volumeStore);

  const networks = await NetworkManager.open({
    stateDir: join(cfg.dataRoot, 'network'),
    netnsDir: join(cfg.dataRoot, 'netns'),
    defaultBridge: cfg.bridge,
    defaultSubnet: cfg.bip,
    ...(cfg.bipGateway ? { defaultGateway: cfg.bipGateway } : {}),
    addressPools: cfg.addressPools,
    ...(cfg.dns.length ? { dnsUpstreams: cfg.dns } : {}),
    events: sink('network'),
  });

  const paths = new ContainerPaths(join(cfg.dataRoot, 'containers'));
  if (remap) await mkdirPassable(paths.root, remap.rootGid); // the containers' bundles are reached by their root
  const records = await RecordStore.open<ContainerRecord>(paths.records());
  const containers = new ContainerService({
    records,
    paths,
    images: new StoreImageSource(images),
    layers,
    runtimes,
    defaultRuntime: cfg.runtime,
    monitor,
    monitors,
    events: { emit: (type, action, id, attributes) => sink(type).emit(action, id, attributes) },
    volumes,
    networks,
    defaultDns: cfg.dns,
    defaultLogConfig: cfg.logConfig,
    emulation: binfmt,
    spec: {
      initPath: existsSync('/usr/bin/tini-static') ? '/usr/bin/tini-static' : '/usr/bin/catatonit',
      cgroupParent: cfg.cgroupParent,
      noNewPrivileges: cfg.noNewPrivileges,
      ...(userns ? { userns } : {}),
    },
  });
  const builder = await createBuilder({
    dataRoot: cfg.dataRoot,
    images,
    layers,
    runtime: runtimes.get(cfg.runtime)!,
    monitor,
    spec: { cgroupParent: cfg.cgroupParent, noNewPrivileges: cfg.noNewPrivileges, ...(userns ? { userns } : {}) },
    networks: {
      attach: (id, req) => networks.attach(id, req),
      detach: (id) => networks.detach(id),
      find: (ref) => networks.find(ref),
      shared: (ref) => containers.sharedNetwork(ref),
    },
    dns: cfg.dns,
    pull: (ref, o) => puller.pull(ref, o), // the puller reports the pull event
    emulation: binfmt,
  });
  const execs = new ExecService(containers);
  const health = new HealthMonitor(containers, execs);
  containers.setHooks({ started: (rec) => health.start(rec), exited: (id) => health.stop(id) });
  await containers.recover();

  // Loaded only when asked for (it brings the WebSocket library): a plain berthd starts as before.
  const dashboard = dashboardAddress
    ? await import('../dashboard-server/dashboard-server.js').then(async ({ DashboardServer }) => {
        const { DashboardAuth } = await import('../dashboard-server/auth.js');
        return new DashboardServer({
          engineSocket: cfg.socketPath!,
          assetDir: join(packageRoot(), 'dist', 'dashboard'),
          auth: new DashboardAuth(),
          berthCli: join(packageRoot(), 'bin', 'berth'),
          ...(dashboardTls ? { tls: dashboardTls } : {}),
        });
      })
    : undefined;
  const apiOptions: ApiServerOptions = {
    serverHeader: `Berth/${VERSION} (linux)`,
    onRequestEnd: pokeIdleTrim,
    routes: [
      ...dashboardTokenRoutes(dashboard),
      ...buildRoutes({
        cfg,
        version: VERSION,
        cgroupLayout: await detectCgroupLayout(),
        startedAt: new Date(),
        containers,
        execs,
        images,
        layers,
        events,
        runtimes,
        volumeStore,
        volumes,
        builder,
        networks,
        puller,
        pusher,
        emulation: binfmt,
        // dockerd answers a registry it cannot reach with a 500; Berth keeps 500 for its own faults and
        // says 503 (the registry is unavailable), which clients report the same way.
        login: (server, creds, signal) =>
          checkLogin(server, creds, { insecureRegistries: cfg.insecureRegistries, loopbackOnly: cfg.registryLoopbackOnly }, signal),
        search: (term, o) => searchImages(term, { ...o, insecureRegistries: cfg.insecureRegistries, loopbackOnly: cfg.registryLoopbackOnly }),
        // dockerd answers a registry it cannot reach, or a name it does not find there, with a 500;
        // Berth answers 503 and 404 (500 is kept for Berth's own faults).
        distribution: async (name, o) =>
          distributionInspect(
            await inspectManifest(name, {
              credentials: o.credentials,
              signal: o.signal,
              verbose: true,
              loopbackOnly: cfg.registryLoopbackOnly,
              insecure: isInsecureHost(parseReference(name).domain, cfg.insecureRegistries),
            }),
          ),
      }),
    ],
  };
  const server = new ApiServer(apiOptions);
  // One node:http server per listener: -H tcp:// gets its own over the same routes (HTTPS with --tls).
  const tcpServers = cfg.tcpListeners.map(() => new ApiServer({ ...apiOptions, ...(tcpTls ? { tls: tcpTls } : {}) }));
  const socketGroup = await socketGroupGid(cfg.group);
  if (socketGroup.warning) log.warn(socketGroup.warning);
  if (cfg.socketPath) await server.listen(cfg.socketPath, socketGroup.gid);
  for (const [i, l] of cfg.tcpListeners.entries()) {
    const port = await tcpServers[i]!.listenTcp(l.port, l.host);
    if (!isLoopback(l.host) && !cfg.tls)
      log.warn('serving the API over plain TCP on a non-loopback address (--tls=false): anyone who reaches it is root here', { host: l.host, port });
    if (!isLoopback(l.host) && cfg.tls && !cfg.tls.verifyClients)
      log.warn('serving the API over TLS without --tlsverify: any client that reaches it is root here', { host: l.host, port });
    log.info('berthd listening', { tcp: `${l.host}:${port}`, tls: cfg.tls ? (cfg.tls.verifyClients ? 'verify' : 'server-only') : 'off' });
  }
  log.info('berthd listening', { socket: cfg.socketPath, dataRoot: cfg.dataRoot, runtime: cfg.runtime });
  if (dashboard && dashboardAddress) log.info('dashboard listening', { url: await dashboard.listen(dashboardAddress), login: 'berth dashboard' });
  // Start-up's garbage (parsing the bundle, recovery, the network sweep) goes back to the kernel
  // once the daemon is idle, and so does each later burst's: idle RSS is what a daemon costs.
  enableIdleTrim();

  let stopping = false;
  const shutdown = async (sig: string) => {
    if (stopping) return;
    stopping = true;
    log.info('shutting down; containers keep running', { signal: sig });
    containers.cancelRestarts();
    await dashboard?.close().catch(() => {});
    await server.close().catch(() => {});
    for (const t of tcpServers) await t.close().catch(() => {});
    await networks.close().catch(() => {});
    puller.close();
    pusher.close();
    await unlock();
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

/** Read at start-up: a missing or unreadable file is a start-up error, as with dockerd. */
async function loadServerTls(t: DaemonTls): Promise<ServerTls> {
  const read = (what: string, path: string) =>
    readFile(path).catch((e: unknown) => {
      throw new Error(`could not read ${what} ${path}: ${messageOf(e)}`);
    });
  return {
    cert: await read('TLS certificate', t.certFile),
    key: await read('TLS key', t.keyFile),
    ...(t.caFile ? { clientCa: await read('CA certificate', t.caFile) } : {}),
  };
}

// A peer that disconnects mid-stream surfaces as an 'error' on some socket; that is the peer's
// problem, not a reason for the daemon (and every API client) to go down.
process.on('uncaughtException', (e) => {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ECONNRESET' || code === 'EPIPE' || code === 'ERR_STREAM_PREMATURE_CLOSE' || code === 'ERR_STREAM_DESTROYED') {
    log.debug('peer went away', { code });
    return;
  }
  // A request's bad input that escaped its handler (e.g. a stream error nobody awaited): that
  // request fails, the daemon and every other client must not.
  if (isBerthError(e) && e.kind !== 'internal') {
    log.warn('unhandled request error', { error: e.message });
    return;
  }
  log.error('uncaught exception', { error: messageOf(e), stack: e.stack });
  process.exit(70);
});

main(process.argv.slice(2)).catch((e) => {
  process.stderr.write(`berthd: ${messageOf(e)}\n`);
  process.exit(1);
});
