// Runs one RUN step as a real container on a mounted workspace: OCI spec from the spec builder,
// a berth-shim monitor, output streamed into the build, the exit code back. Nothing of the
// container outlives the call (runtime state, cgroup, shim dir), whatever the outcome.
import { lstat, rm, rmdir, unlink, writeFile } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { messageOf } from '../../lib/errors.js';
import { log } from '../../lib/log.js';
import { resolveInRoot } from '../../lib/safe-path.js';
import { rootOwnerOf, type IdMap } from '../../lib/id-map.js';
import { mkdirOwned } from '../../lib/mkdir-owned.js';
import { demuxFrames } from '../../lib/stdcopy.js';
import { buildSpec, specToJson } from '../../runtime/specgen/build-spec.js';
import type { SpecMount } from '../../runtime/specgen/spec-input.js';
import type { Monitor } from '../../runtime/monitor/monitor.js';
import type { OciRuntime } from '../../runtime/oci/oci-runtime.js';
import type { BuildNetworking } from './types.js';
import type { Workspace } from './workspace.js';
import { setUpRunNetwork, type RunNetwork, type RunNetworkMode } from './run-network.js';

export interface RunContainerOptions {
  runtime: OciRuntime;
  monitor: Monitor;
  cgroupParent: string;
  noNewPrivileges?: boolean;
  /** The daemon's --userns-remap maps: the step runs in a user namespace, as containers do. */
  userns?: IdMap;
  args: string[];
  env: string[];
  cwd: string;
  user: string;
  mounts: SpecMount[];
  /** 'bridge': a sandbox on the default bridge; 'none': a private namespace with loopback only; 'host': the host's. */
  network: RunNetworkMode;
  /** Where bridge sandboxes come from (without it, 'bridge' gets loopback only). */
  networks?: BuildNetworking;
  /** The daemon's --dns. */
  dns?: string[];
  /** The build's --add-host entries ("name:ip"). */
  extraHosts?: string[];
  /** The process's output as it arrives; `stream` 2 is stderr (the build stream colours it). */
  onOutput: (text: string, stream: 1 | 2) => void;
  signal?: AbortSignal;
}

async function writeEtc(ws: Workspace, net: RunNetwork): Promise<SpecMount[]> {
  const files: Array<[string, string, string]> = [
    ['hostname', '/etc/hostname', net.hostname + '\n'],
    ['hosts', '/etc/hosts', net.hosts],
    ['resolv.conf', '/etc/resolv.conf', net.resolvConf],
  ];
  for (const [f, , text] of files) await writeFile(join(ws.dir, f), text);
  return files.map(([f, dst]) => ({ destination: dst, type: 'bind', source: join(ws.dir, f), options: ['rbind', 'rprivate'] }));
}

/**
 * Mount points the runtime had to create in the rootfs (e.g. /etc/hosts in an image without
 * one, /proc on scratch): Docker keeps them out of build layers with its init layer; here they
 * are noted before the run and removed from the upper dir afterwards if still empty.
 */
async function missingMountpoints(rootfs: string, destinations: string[]): Promise<string[]> {
  const out = new Set<string>();
  for (const d of destinations) {
    const parts = posix.normalize(d).split('/').filter(Boolean);
    for (let i = 1; i <= parts.length; i++) {
      const p = '/' + parts.slice(0, i).join('/');
      if (out.has(p)) continue;
      const st = await lstat(await resolveInRoot(rootfs, p, false)).catch(() => undefined);
      if (!st) out.add(p);
      else if (!st.isDirectory()) break;
    }
  }
  return [...out];
}

/** Removes still-empty mount points (deepest first) from a snapshot's upper dir. */
export async function scrubMountpoints(upperDir: string, paths: string[]): Promise<void> {
  for (const p of [...paths].sort((a, b) => b.length - a.length)) {
    const abs = join(upperDir, p);
    const st = await lstat(abs).catch(() => undefined);
    if (!st) continue;
    if (st.isDirectory()) await rmdir(abs).catch(() => {});
    else if (st.isFile() && st.size === 0) await unlink(abs).catch(() => {});
  }
}

export interface RunOutcome {
  exitCode: number;
  /** Pass to scrubMountpoints after unmounting. */
  createdMountpoints: string[];
}

/** Runs the process to completion; resolves with its exit code. */
export async function runContainer(ws: Workspace, o: RunContainerOptions): Promise<RunOutcome> {
  // The working directory is created at start, as Docker does (it shows up in the diff).
  if (o.cwd && o.cwd !== '/') await mkdirOwned(await resolveInRoot(ws.rootfs, o.cwd), 0o755, rootOwnerOf(o.userns));
  const net = await setUpRunNetwork(ws.key, ws.shortId, o.network, { networks: o.networks, dns: o.dns, extraHosts: o.extraHosts });
  try {
    return await runInNetwork(ws, o, net);
  } finally {
    // After the runtime deleted the container: no process holds the namespace any more.
    await net.release();
  }
}

async function runInNetwork(ws: Workspace, o: RunContainerOptions, net: RunNetwork): Promise<RunOutcome> {
  const id = ws.key;
  const stateDir = join(ws.dir, 'shim');
  const etc = await writeEtc(ws, net);
  const spec = await buildSpec({
    rootfsPath: ws.rootfs,
    args: o.args,
    env: o.env,
    cwd: o.cwd || '/',
    user: o.user,
    tty: false,
    hostname: net.hostname,
    mounts: [...etc, ...o.mounts],
    cgroupsPath: `${o.cgroupParent}/${id}`,
    noNewPrivileges: o.noNewPrivileges ?? false,
    ...(o.userns ? { userns: o.userns } : {}),
    netns: net.netns,
    annotations: { 'io.berth.build': 'true' },
  });
  const createdMountpoints = await missingMountpoints(
    ws.rootfs,
    spec.mounts.map((m) => m.destination),
  );
  const afterCreate = await o.runtime.prepareSpec(id, spec);
  await writeFile(join(ws.dir, 'config.json'), specToJson(spec));
  let created = false;
  const kill = () => void o.runtime.kill(id, 'SIGKILL', true).catch(() => {});
  try {
    if (await o.runtime.exists(id)) await o.runtime.delete(id, true).catch(() => {});
    await o.monitor.spawnContainer({ id, bundle: ws.dir, stateDir, tty: false, openStdin: false });
    created = true;
    await afterCreate();
    const io = await o.monitor.attach(stateDir, { stdin: false, stdout: true, stderr: true });
    // One decoder per stream: a character split across frames must not mix stdout and stderr.
    const decoders = { 1: new StringDecoder('utf8'), 2: new StringDecoder('utf8') };
    const pumping = (async () => {
      for await (const f of demuxFrames(io)) {
        const stream = f.stream === 2 ? 2 : 1;
        const s = decoders[stream].write(f.data);
        if (s) o.onOutput(s, stream);
      }
      for (const stream of [1, 2] as const) {
        const rest = decoders[stream].end();
        if (rest) o.onOutput(rest, stream);
      }
    })().catch((e) => log.debug('build: output stream ended', { error: messageOf(e) }));
    o.signal?.addEventListener('abort', kill, { once: true });
    await o.monitor.startContainer(stateDir);
    const status = await o.monitor.waitExit(stateDir);
    await pumping;
    io.destroy();
    return { exitCode: status.exitCode, createdMountpoints };
  } finally {
    o.signal?.removeEventListener('abort', kill);
    // The shim deletes the container from the runtime after its exit; this is for the other ends.
    if (await o.runtime.exists(id).catch(() => created)) {
      await o.runtime.delete(id, true).catch((e) => log.warn('build: runtime delete failed', { id, error: messageOf(e) }));
    }
    await rm(stateDir, { recursive: true, force: true }).catch(() => {});
  }
}
