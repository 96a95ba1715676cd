// Starting a container, under its lock: mount the root filesystem, set up the network, write the
// etc files and the OCI bundle, spawn the shim (which has the runtime create the container),
// connect attachers that came first, then let the process run and record it running. Any
// failure undoes what was done and records Docker's exit code for it.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { messageOf } from '../lib/errors.js';
import { log } from '../lib/log.js';
import { nowRfc3339Nano } from '../lib/time-parse.js';
import { buildSpec, specToJson } from '../runtime/specgen/build-spec.js';
import { ZERO_TIME, type ContainerSnapshot } from './container-record.js';
import type { ContainerCore } from './container-core.js';
import { writeEtcFiles } from './etc-files.js';
import { startingHealth } from './healthcheck.js';
import { bridgeLinksOf } from './network-attach.js';
import { setUpNetwork } from './networking.js';
import { containerUserns, namespaceDonors, specInputFor } from './spec-input-from-record.js';
import { rootOwnerOf } from '../lib/id-map.js';
import { startFailure } from './start-errors.js';
import { logRotationOf } from './logs/log-options.js';

/**
 * Starts `rec` (the record as read under the lock). `watchExit` follows the new process;
 * `removeLater` removes an --rm container whose start failed, once the lock is released.
 */
export async function startLocked(
  core: ContainerCore,
  rec: ContainerSnapshot,
  o: { watchExit: (id: string) => void; removeLater: (id: string) => void },
): Promise<ContainerSnapshot> {
  const { paths, layers, mounter } = core.deps;
  const runtime = core.runtimeFor(rec);
  const monitor = core.monitorFor(rec);
  const rootfs = paths.rootfs(rec.id);
  const shimDir = paths.shim(rec.id);
  const t0 = performance.now();
  const lap: Record<string, number> = {};
  const mark = (name: string) => (lap[name] = Math.round((performance.now() - t0) * 10) / 10);
  const lookup = (ref: string) => core.index.get(ref);
  try {
    // A foreign image needs its emulator registered before its first exec (lazily, once per arch).
    if (rec.imagePlatform && core.deps.emulation) await core.deps.emulation.ensure(rec.imagePlatform);
    if (!(await mounter.isMounted(rootfs))) await mounter.mount(await layers.mounts(rec.id), rootfs);
    mark('mount');
    const links = bridgeLinksOf(core, rec);
    const net = await setUpNetwork(rec, core.deps.networks, lookup);
    mark('network');
    await writeEtcFiles(paths, rec, net, core.deps.defaultDns, links.hosts, rootOwnerOf(containerUserns(core.deps.spec, rec)));
    const volumeMounts = await core.deps.volumes.prepare(rec.id, rootfs);
    const donors = namespaceDonors(rec, lookup);
    const spec = await buildSpec(specInputFor(rec, { ...core.deps.spec, paths }, volumeMounts, net.netns, donors, links.env));
    mark('spec');
    const afterCreate = await runtime.prepareSpec(rec.id, spec);
    // The bundle's few small files in the container's own directory: synchronous calls (tens of
    // µs) cost berthd's loop less than their thread-pool round trips did under load.
    writeFileSync(join(paths.dir(rec.id), 'config.json'), specToJson(spec));
    rmSync(shimDir, { recursive: true, force: true });
    mkdirSync(shimDir, { recursive: true, mode: 0o700 });
    if (await runtime.exists(rec.id)) await runtime.delete(rec.id, true).catch(() => {}); // stale, from a crash
    const logPath = rec.host.logConfig.type === 'none' ? undefined : paths.log(rec.id);
    mark('bundle');
    const { pid } = await monitor.spawnContainer({
      id: rec.id,
      bundle: paths.dir(rec.id),
      stateDir: shimDir,
      logPath,
      ...(logPath ? rotationArgs(logRotationOf(rec.host.logConfig)) : {}),
      tty: rec.config.tty,
      openStdin: rec.config.openStdin,
      // As Docker: a TTY keeps its stdin across attach sessions (detach with ctrl-p ctrl-q).
      stdinOnce: rec.config.stdinOnce && !rec.config.tty,
    });
    mark('create');
    await afterCreate();
    if (rec.config.tty && rec.host.consoleSize) await monitor.resize(shimDir, ...rec.host.consoleSize).catch(() => {});
    // Attachers that came before start (docker run) connect before the process runs.
    const pending = core.waiters.takeAttaches(rec.id);
    await Promise.all(pending.map((p) => p(shimDir).catch((e) => log.warn('pending attach failed', { error: messageOf(e) }))));
    mark('attach');
    await monitor.startContainer(shimDir);
    mark('runtime-start');
    // A healthcheck starts over at every start, in the same write that records the process.
    const health = startingHealth(rec.config) ?? rec.state.health;
    const running = await core.records.update(rec.id, (r) => ({
      ...r,
      state: {
        ...r.state,
        status: 'running',
        pid,
        exitCode: 0,
        error: '',
        oomKilled: false,
        startedAt: nowRfc3339Nano(),
        finishedAt: r.state.finishedAt,
        ...(health ? { health } : {}),
      },
    }));
    mark('record');
    log.debug('container started', { id: rec.id.slice(0, 12), ms: lap });
    core.hooks.started?.(running);
    core.emitEvent(running, 'start');
    o.watchExit(rec.id);
    return running;
  } catch (e) {
    const failure = startFailure(e);
    await runtime.delete(rec.id, true).catch(() => {});
    await core.deps.volumes.release(rec.id).catch(() => {});
    await core.deps.networks.detach(rec.id).catch(() => {});
    await core.unmountRootfs(rec.id).catch(() => {});
    const failed = await core.records.update(rec.id, (r) => ({
      ...r,
      state: { ...r.state, status: r.state.startedAt === ZERO_TIME ? 'created' : 'exited', pid: 0, exitCode: failure.exitCode, error: failure.error.message },
    }));
    for (const p of core.waiters.takeAttaches(rec.id)) void p('').catch(() => {});
    // As Docker: an --rm container whose start failed is removed.
    if (failed.host.autoRemove) o.removeLater(rec.id);
    throw failure.error;
  }
}

function rotationArgs(r: { maxSize: number; maxFile: number }): { logMaxSize?: number; logMaxFile?: number } {
  return r.maxSize > 0 ? { logMaxSize: r.maxSize, logMaxFile: r.maxFile } : {};
}
