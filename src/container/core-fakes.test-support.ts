// Fakes of the container core's collaborators for unit tests of its decisions (recovery, restart
// policies, stop/restart races): a real RecordStore in a temp directory, in-memory monitor and
// runtime whose exits the test drives, and no-op network, volume and mount seams. Nothing here
// needs root; nothing here is used outside tests.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ExitStatus, Monitor } from '../runtime/monitor/monitor.js';
import type { OciRuntime } from '../runtime/oci/oci-runtime.js';
import type { LayerStore } from '../store/layers/layer-store.js';
import { RecordStore } from '../store/records/record-store.js';
import { ZERO_TIME, type ContainerRecord } from './container-record.js';
import { ContainerCore, type ContainerDeps } from './container-core.js';
import { ContainerPaths } from './paths.js';
import type { ContainerNetworks, ContainerVolumeHost, RootfsMounter } from './seams.js';

export interface FakeWorld {
  core: ContainerCore;
  records: RecordStore<ContainerRecord>;
  calls: string[];
  events: string[];
  /** Shim state dirs whose shim is alive, and the exit each dead one left. */
  alive: Set<string>;
  /** Container ids the runtime still has state for (a crash or a failed delete left it). */
  runtimeLeft: Set<string>;
  /**
   * Ids whose runtime delete fails: with the state gone meanwhile (`'raced'`: another delete of the
   * same container, the shim's or a killed berthd's, finished first) or still there (`'stuck'`).
   */
  deleteFails: Map<string, 'raced' | 'stuck'>;
  exitFiles: Map<string, ExitStatus>;
  /** Ends the process of container `id` as its shim would report it. */
  exit(id: string, exitCode: number): void;
  paths: ContainerPaths;
  dispose(): Promise<void>;
}

export async function fakeWorld(): Promise<FakeWorld> {
  const dir = await mkdtemp(join(tmpdir(), 'container-core-'));
  const paths = new ContainerPaths(dir);
  const records = await RecordStore.open<ContainerRecord>(paths.records());
  const calls: string[] = [];
  const events: string[] = [];
  const alive = new Set<string>();
  const runtimeLeft = new Set<string>();
  const deleteFails = new Map<string, 'raced' | 'stuck'>();
  const exitFiles = new Map<string, ExitStatus>();
  const waiting = new Map<string, (s: ExitStatus) => void>();
  const exit = (id: string, exitCode: number) => {
    const stateDir = paths.shim(id);
    const status = { exitCode, finishedAt: new Date().toISOString() };
    alive.delete(stateDir);
    exitFiles.set(stateDir, status);
    waiting.get(stateDir)?.(status);
    waiting.delete(stateDir);
  };
  const monitor = {
    waitExit: (stateDir: string) => {
      calls.push(`waitExit ${stateDir.slice(dir.length)}`);
      return new Promise<ExitStatus>((resolve) => waiting.set(stateDir, resolve));
    },
    isAlive: async (stateDir: string) => alive.has(stateDir),
    readExit: async (stateDir: string) => exitFiles.get(stateDir),
    spawnContainer: async (o: { id: string }) => {
      calls.push(`spawn ${o.id}`);
      throw new Error('the fake monitor starts nothing');
    },
  } as unknown as Monitor;
  const runtime = {
    name: 'fake',
    kill: async (id: string, sig: string | number) => {
      calls.push(`kill ${id} ${sig}`);
      exit(id, 128 + Number(sig));
    },
    delete: async (id: string) => {
      calls.push(`runtime-delete ${id}`);
      const fails = deleteFails.get(id);
      if (fails !== 'stuck') runtimeLeft.delete(id);
      if (fails) throw new Error(`crun delete: cannot rm state directory \`/run/crun/${id}\`: No such file or directory`);
    },
    exists: async (id: string) => runtimeLeft.has(id),
    resume: async () => {},
    pause: async () => {},
  } as unknown as OciRuntime;
  const layers = { removeSnapshot: async (id: string) => void calls.push(`removeSnapshot ${id}`) } as unknown as LayerStore;
  const networks = {
    detach: async (id: string) => void calls.push(`network-detach ${id}`),
    recover: async () => void calls.push('network-recover'),
    info: () => undefined,
    find: () => undefined,
  } as unknown as ContainerNetworks;
  const volumes = {
    detach: async (id: string) => (calls.push(`volumes-detach ${id}`), []),
    release: async (id: string) => void calls.push(`volumes-release ${id}`),
    reconcile: async () => void calls.push('volumes-reconcile'),
    mountPoints: () => [],
  } as unknown as ContainerVolumeHost;
  const mounter: RootfsMounter = { isMounted: async () => false, mount: async () => {}, unmount: async () => {} };
  const deps: ContainerDeps & { mounter: RootfsMounter } = {
    records,
    paths,
    images: { resolve: async () => Promise.reject(new Error('no images')), commit: async () => Promise.reject(new Error('no images')) },
    layers,
    runtimes: new Map([['fake', runtime]]),
    defaultRuntime: 'fake',
    monitor,
    monitors: new Map([['fake', monitor]]),
    events: { emit: (type, action, id) => void events.push(`${type} ${action} ${id.slice(0, 8)}`) },
    spec: { initPath: '', cgroupParent: '' },
    volumes,
    networks,
    defaultDns: [],
    mounter,
  };
  return {
    core: new ContainerCore(deps),
    records,
    calls,
    events,
    alive,
    runtimeLeft,
    deleteFails,
    exitFiles,
    exit,
    paths,
    dispose: () => rm(dir, { recursive: true, force: true }),
  };
}

/** A container record as create would leave it, with `over` applied. */
export function containerRecord(
  id: string,
  over: Partial<ContainerRecord> & {
    status?: ContainerRecord['state']['status'];
    pid?: number;
    policy?: ContainerRecord['host']['restartPolicy']['name'];
  } = {},
): ContainerRecord {
  const { status = 'created', pid = 0, policy = 'no', ...rest } = over;
  const running = status === 'running' || status === 'paused';
  return {
    schemaVersion: 1,
    id: id.padEnd(64, '0'),
    name: `c-${id}`,
    created: '2026-01-01T00:00:00.000000000Z',
    phase: 'ready',
    imageId: 'sha256:0000000000000000000000000000000000000000000000000000000000000000',
    imageChainId: null,
    config: {
      image: 'busybox',
      cmd: ['true'],
      entrypoint: [],
      env: [],
      workingDir: '',
      user: '',
      tty: false,
      openStdin: false,
      stdinOnce: false,
      attachStdin: false,
      attachStdout: true,
      attachStderr: true,
      hostname: 'h',
      domainname: '',
      labels: {},
      exposedPorts: {},
      volumes: {},
    },
    host: {
      restartPolicy: { name: policy, maximumRetryCount: 0 },
      autoRemove: false,
      networkMode: 'none',
      logConfig: { type: 'json-file', config: {} },
    } as unknown as ContainerRecord['host'],
    wire: { config: {}, hostConfig: {}, networkingConfig: {} },
    state: {
      status,
      pid: running ? pid || 4242 : pid,
      exitCode: 0,
      error: '',
      oomKilled: false,
      startedAt: status === 'created' ? ZERO_TIME : '2026-01-01T00:00:01Z',
      finishedAt: ZERO_TIME,
    },
    endpoints: [],
    restartCount: 0,
    manuallyStopped: false,
    runtimeName: 'fake',
    ...rest,
  };
}
