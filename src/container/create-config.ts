// Merging what the user asked for with the image's defaults, by Docker's rules:
// an Entrypoint given on create drops the image's Cmd; env and labels merge with the user's
// values winning; hostname defaults to the short id.
import { LOG_DRIVERS } from './logs/log-options.js';
import { invalidArgument } from '../lib/errors.js';
import type { StoredContainerConfig, HostSettings, RestartPolicyName } from './container-record.js';
import type { ImageDefaults } from './image-source.js';

export type ConfigRequest = Partial<Omit<StoredContainerConfig, 'cmd' | 'entrypoint'>> & {
  image: string;
  cmd?: string[] | null;
  entrypoint?: string[] | null;
};

export function mergeEnv(base: string[], over: string[]): string[] {
  const out = new Map<string, string>();
  for (const e of [...base, ...over]) {
    const i = e.indexOf('=');
    const key = i < 0 ? e : e.slice(0, i);
    out.delete(key); // keep the later position, as Docker does for overrides
    out.set(key, e);
  }
  return [...out.values()];
}

export function mergeConfig(req: ConfigRequest, image: ImageDefaults, id: string): StoredContainerConfig {
  const entrypointGiven = req.entrypoint !== undefined && req.entrypoint !== null && req.entrypoint.length > 0;
  const entrypoint = entrypointGiven ? req.entrypoint! : image.entrypoint;
  const cmd = req.cmd && req.cmd.length > 0 ? req.cmd : entrypointGiven ? [] : image.cmd;
  if (entrypoint.length === 0 && cmd.length === 0) throw invalidArgument('No command specified');
  return {
    image: req.image,
    cmd,
    entrypoint,
    env: mergeEnv(image.env, req.env ?? []),
    workingDir: req.workingDir || image.workingDir || '',
    user: req.user || image.user || '',
    tty: req.tty ?? false,
    openStdin: req.openStdin ?? false,
    stdinOnce: req.stdinOnce ?? false,
    attachStdin: req.attachStdin ?? false,
    attachStdout: req.attachStdout ?? false,
    attachStderr: req.attachStderr ?? false,
    hostname: req.hostname || id.slice(0, 12),
    domainname: req.domainname ?? '',
    labels: { ...image.labels, ...(req.labels ?? {}) },
    stopSignal: req.stopSignal || image.stopSignal,
    stopTimeout: req.stopTimeout,
    exposedPorts: { ...image.exposedPorts, ...(req.exposedPorts ?? {}) },
    volumes: { ...image.volumes, ...(req.volumes ?? {}) },
    healthcheck: req.healthcheck ?? image.healthcheck,
    onBuild: image.onBuild,
    shell: image.shell,
    argsEscaped: image.argsEscaped,
    networkDisabled: req.networkDisabled,
    macAddress: req.macAddress,
  };
}

const POLICIES: RestartPolicyName[] = ['', 'no', 'always', 'unless-stopped', 'on-failure'];

export function defaultHostSettings(): HostSettings {
  return {
    autoRemove: false,
    restartPolicy: { name: 'no', maximumRetryCount: 0 },
    privileged: false,
    readonlyRootfs: false,
    capAdd: [],
    capDrop: [],
    securityOpt: [],
    init: false,
    resources: {},
    ulimits: [],
    networkMode: 'default',
    binds: [],
    mounts: [],
    tmpfs: {},
    volumesFrom: [],
    volumeDriver: '',
    portBindings: {},
    publishAllPorts: false,
    extraHosts: [],
    dns: [],
    dnsSearch: [],
    dnsOptions: [],
    shmSize: 64 * 1024 * 1024,
    groupAdd: [],
    sysctls: {},
    oomScoreAdj: 0,
    pidMode: '',
    ipcMode: '',
    utsMode: '',
    runtime: '',
    logConfig: { type: 'json-file', config: {} },
  };
}

/** Validates host settings the way Docker does before anything is created. */
export function validateHostSettings(h: HostSettings): void {
  const p = h.restartPolicy;
  if (!POLICIES.includes(p.name)) throw invalidArgument(`invalid restart policy '${p.name}'`);
  if (p.maximumRetryCount < 0) throw invalidArgument('invalid restart policy: maximum retry count cannot be negative');
  if (p.name !== 'on-failure' && p.maximumRetryCount > 0)
    throw invalidArgument(`invalid restart policy: maximum retry count can only be used with 'on-failure'`);
  if (h.autoRemove && p.name !== '' && p.name !== 'no') throw invalidArgument("can't create 'AutoRemove' container with restart policy");
  const r = h.resources;
  if (r.memory !== undefined && r.memory !== 0 && r.memory < 6 * 1024 * 1024) throw invalidArgument('Minimum memory limit allowed is 6MB');
  if (r.nanoCpus !== undefined && r.nanoCpus < 0) throw invalidArgument('Range of CPUs is from 0.01 to the number of CPUs available');
  if (r.nanoCpus && (r.cpuQuota || r.cpuPeriod)) throw invalidArgument('Conflicting options: Nano CPUs and CPU Period cannot both be set');
  if (h.logConfig.type && !(LOG_DRIVERS as readonly string[]).includes(h.logConfig.type))
    throw invalidArgument(`logger: no log driver named '${h.logConfig.type}' is registered`);
}
