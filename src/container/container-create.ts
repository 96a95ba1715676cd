// Making and unmaking a container's files. create records intent first (phase 'creating'), then
// attaches volumes, makes its directory and prepares its writable layer, then marks it 'ready';
// any failure discards what was made. discard removes every trace (rm, and recovery of
// half-made or half-removed containers).
import { chown, mkdir, rm } from 'node:fs/promises';
import { toHostId } from '../lib/id-map.js';
import { invalidArgument, isBerthError, messageOf } from '../lib/errors.js';
import { log } from '../lib/log.js';
import { nowRfc3339Nano } from '../lib/time-parse.js';
import { formatPlatform, hostPlatform, parsePlatform, platformMatches, type Platform } from '../lib/platform.js';
import { ZERO_TIME, type ContainerRecord, type HostSettings } from './container-record.js';
import type { ContainerCore } from './container-core.js';
import { mergeConfig, validateHostSettings, type ConfigRequest } from './create-config.js';
import { newContainerId, normaliseName } from './names.js';
import { logRotationOf, mergeLogConfig } from './logs/log-options.js';
import { checkSecurityOptions, checkUsernsMode } from './spec-input-from-record.js';
import { hostHasAppArmor } from '../runtime/specgen/host-facts.js';
import { checkNetworks, parseLink, primaryNetwork } from './networking.js';

export interface CreateRequest {
  name?: string;
  config: ConfigRequest;
  host: HostSettings;
  endpoints: ContainerRecord['endpoints'];
  wire: ContainerRecord['wire'];
  /** ?platform= of the create request ("linux/arm64"). */
  platform?: string;
}

export async function createContainer(core: ContainerCore, req: CreateRequest): Promise<{ id: string; warnings: string[] }> {
  const { deps, index } = core;
  req = { ...req, host: { ...req.host, logConfig: mergeLogConfig(req.host.logConfig, deps.defaultLogConfig ?? { type: '', config: {} }) } };
  validateHostSettings(req.host);
  logRotationOf(req.host.logConfig); // dockerd checks the options when the logger starts; here, before anything exists
  checkSecurityOptions(req.host.securityOpt, hostHasAppArmor());
  checkUsernsMode(req.host, deps.spec.userns !== undefined);
  const runtimeName = req.host.runtime || deps.defaultRuntime;
  if (!deps.runtimes.has(runtimeName)) throw invalidArgument(`unknown or invalid runtime name: ${runtimeName}`);
  const want = req.platform ? parsePlatform(req.platform) : undefined;
  const image = await deps.images.resolve(req.config.image, want);
  const warnings = want ? [] : platformWarnings(image.platform);
  const id = newContainerId();
  const name = req.name ? normaliseName(req.name) : index.freeName();
  const config = mergeConfig(req.config, image.defaults, id);
  index.reserve(name, id); // before the first await on side effects
  const rec: ContainerRecord = {
    schemaVersion: 1,
    id,
    name,
    created: nowRfc3339Nano(),
    phase: 'creating',
    imageId: image.id,
    imageChainId: image.chainId,
    imagePlatform: image.platform,
    config,
    host: req.host,
    wire: req.wire,
    endpoints: req.endpoints,
    state: { status: 'created', pid: 0, exitCode: 0, error: '', oomKilled: false, startedAt: ZERO_TIME, finishedAt: ZERO_TIME },
    restartCount: 0,
    manuallyStopped: false,
    runtimeName,
  };
  let made: ContainerRecord = rec;
  try {
    checkNetworks(rec, deps.networks, { hostname: req.config.hostname });
    // As dockerd's registerLinks: a legacy link names an existing container.
    if (primaryNetwork(rec.host.networkMode) === 'bridge') {
      for (const l of rec.host.links ?? []) if (!index.find(parseLink(l).name)) throw invalidArgument(`could not get container for ${parseLink(l).name}`);
    }
    // container:<x> shares x's UTS identity too, as Docker copies its hostname.
    const shared = rec.host.networkMode.startsWith('container:') ? index.find(rec.host.networkMode.slice('container:'.length)) : undefined;
    if (shared) made = { ...rec, config: { ...rec.config, hostname: shared.config.hostname, domainname: shared.config.domainname } };
    await deps.records.put(id, made);
    const h = req.host;
    await deps.volumes.attach(
      id,
      { binds: h.binds, mounts: h.mounts, tmpfs: h.tmpfs, volumesFrom: h.volumesFrom, imageVolumes: Object.keys(config.volumes), volumeDriver: h.volumeDriver },
      { resolveContainer: (ref) => index.find(ref)?.id },
    );
    await mkdir(deps.paths.dir(id), { recursive: true, mode: 0o710 });
    // Under --userns-remap the container's root must reach its rootfs (as dockerd: root:<remapped gid>).
    if (deps.spec.userns) await chown(deps.paths.dir(id), 0, toHostId(deps.spec.userns.gids, 0));
    await mkdir(deps.paths.rootfs(id), { recursive: true });
    await deps.layers.prepare(id, image.chainId);
    made = { ...made, phase: 'ready' };
    await deps.records.put(id, made);
  } catch (e) {
    await discardContainer(core, id).catch((e2) => log.warn('cleanup after failed create', { id, error: messageOf(e2) }));
    index.release(name, id);
    throw e;
  }
  core.emitEvent(made, 'create');
  return { id, warnings };
}

/** Docker's warning when no platform was asked for and the image's cannot run natively (it then runs under emulation). */
function platformWarnings(image: Platform): string[] {
  const host = hostPlatform({ maximum: true });
  if (!image.architecture || platformMatches(host, image, { fallback: true })) return [];
  return [
    `The requested image's platform (${formatPlatform(image)}) does not match the detected host platform (${formatPlatform(host)}) and no specific platform was requested`,
  ];
}

/**
 * Removes every trace of a container. Anonymous volumes go with it when asked (rm -v, --rm, or
 * a container that never finished being made).
 */
export async function discardContainer(core: ContainerCore, id: string, removeAnonymousVolumes = true): Promise<void> {
  const { deps } = core;
  // The runtime's state (and the cgroup it names) outlives the process when berthd died before
  // its delete after the exit, or inside a start or a removal: it goes with the container.
  const known = deps.records.get(id);
  if (known) {
    const runtime = core.runtimeFor(known);
    if (await runtime.exists(id))
      await runtime.delete(id, true).catch(async (e: unknown) => {
        // Another delete of the same container may finish first: the shim's after the exit, or
        // one a killed berthd had started (it outlives berthd). crun then fails on the state it
        // finds gone; that is the outcome wanted. Without this, the failure stopped the removal
        // (recovery's too) halfway, leaving a record without its snapshot that held its volumes
        // (found by the torture driver, volume copy-up).
        if (await runtime.exists(id)) throw e;
      });
  }
  await deps.volumes.detach(id, { removeAnonymous: removeAnonymousVolumes });
  await core.unmountRootfs(id);
  await deps.layers.removeSnapshot(id).catch((e) => {
    if (!isBerthError(e, 'not-found')) throw e;
  });
  await rm(deps.paths.dir(id), { recursive: true, force: true });
  const rec = deps.records.get(id);
  await deps.records.delete(id);
  if (rec) core.index.release(rec.name, id);
}
