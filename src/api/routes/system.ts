// /_ping, /version, /info, /system/df: daemon-wide facts.
import { cpus, totalmem, hostname, release, arch } from 'node:os';
import { readFileSync } from 'node:fs';
import { MAX_API_VERSION, MIN_API_VERSION } from '../server/api-version.js';
import { sendJson } from '../../lib/http/route.js';
import type { Route } from '../server/route.js';
import { diskUsageForVersion, infoForVersion } from './version-shapes.js';
import type * as Wire from '../types/index.js';

export interface SystemFacts {
  version: string;
  dataRoot: string;
  runtimes: string[];
  defaultRuntime: string;
  cgroupLayout: string;
  startedAt: Date;
  /** info's SecurityOptions, in dockerd's "name=...,key=value" form. */
  securityOptions: string[];
  counts: () => { containers: number; running: number; paused: number; stopped: number; images: number };
  diskUsage: () => Promise<Wire.SystemDf>;
}

function osName(): string {
  try {
    return /^PRETTY_NAME="?([^"\n]*)"?/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? 'Linux';
  } catch {
    return 'Linux';
  }
}

const GO_ARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x' };

function pingHeaders(): Record<string, string> {
  return {
    'Api-Version': MAX_API_VERSION,
    'Builder-Version': '1',
    'Cache-Control': 'no-cache, no-store, must-revalidate',
    Pragma: 'no-cache',
    'Docker-Experimental': 'false',
    Ostype: 'linux',
    Swarm: 'inactive',
    'Content-Type': 'text/plain; charset=utf-8',
  };
}

export function systemRoutes(f: SystemFacts): Route[] {
  const ping: Route['handler'] = async (ctx) => {
    ctx.res.writeHead(200, pingHeaders());
    ctx.res.end(ctx.req.method === 'HEAD' ? undefined : 'OK');
  };
  return [
    { method: 'GET', path: '/_ping', handler: ping },
    { method: 'HEAD', path: '/_ping', handler: ping },
    {
      method: 'GET',
      path: '/version',
      handler: async (ctx) => {
        const goArch = GO_ARCH[arch()] ?? arch();
        const out: Wire.Version = {
          Platform: { Name: 'Berth' },
          Components: [
            {
              Name: 'Engine',
              Version: f.version,
              Details: {
                ApiVersion: MAX_API_VERSION,
                MinAPIVersion: MIN_API_VERSION,
                GitCommit: 'berth',
                GoVersion: process.version,
                BuildTime: f.startedAt.toISOString(),
                Experimental: 'false',
                Os: 'linux',
                Arch: goArch,
                KernelVersion: release(),
                NodeVersion: process.version,
              },
            },
          ],
          Version: f.version,
          ApiVersion: MAX_API_VERSION,
          MinAPIVersion: MIN_API_VERSION,
          GitCommit: 'berth',
          GoVersion: process.version,
          Os: 'linux',
          Arch: goArch,
          KernelVersion: release(),
          BuildTime: f.startedAt.toISOString(),
        };
        sendJson(ctx.res, 200, out);
      },
    },
    {
      method: 'GET',
      path: '/info',
      handler: async (ctx) => {
        const c = f.counts();
        const out: Wire.SystemInfo = {
          ID: 'berth',
          Containers: c.containers,
          ContainersRunning: c.running,
          ContainersPaused: c.paused,
          ContainersStopped: c.stopped,
          Images: c.images,
          Driver: 'overlay2',
          DriverStatus: [
            ['Backing Filesystem', 'extfs'],
            ['Supports d_type', 'true'],
            ['Using metacopy', 'false'],
            ['Native Overlay Diff', 'true'],
          ],
          Plugins: { Volume: ['local'], Network: ['null', 'host'], Authorization: null, Log: ['json-file', 'local', 'none'] },
          MemoryLimit: true,
          SwapLimit: true,
          CpuCfsPeriod: true,
          CpuCfsQuota: true,
          CPUShares: true,
          CPUSet: true,
          KernelMemoryTCP: false,
          PidsLimit: true,
          IPv4Forwarding: true,
          Debug: process.env.BERTH_DEBUG === '1',
          NFd: 0,
          OomKillDisable: false,
          NGoroutines: 0,
          SystemTime: new Date().toISOString(),
          LoggingDriver: 'json-file',
          CgroupDriver: 'cgroupfs',
          CgroupVersion: f.cgroupLayout === 'v2' ? '2' : '1',
          NEventsListener: 0,
          KernelVersion: release(),
          OperatingSystem: osName(),
          OSVersion: '',
          OSType: 'linux',
          Architecture: process.arch === 'x64' ? 'x86_64' : process.arch,
          IndexServerAddress: 'https://index.docker.io/v1/',
          RegistryConfig: { IndexConfigs: {}, InsecureRegistryCIDRs: ['127.0.0.0/8'], Mirrors: [] },
          // dockerd reports the proxy settings it passes to registries; berthd uses none.
          HttpProxy: '',
          HttpsProxy: '',
          NoProxy: '',
          NCPU: cpus().length,
          MemTotal: totalmem(),
          DockerRootDir: f.dataRoot,
          Name: hostname(),
          Labels: [],
          ExperimentalBuild: false,
          ServerVersion: f.version,
          Runtimes: Object.fromEntries(f.runtimes.map((r) => [r, { path: r }])),
          DefaultRuntime: f.defaultRuntime,
          Swarm: { NodeID: '', NodeAddr: '', LocalNodeState: 'inactive', ControlAvailable: false, Error: '', RemoteManagers: null },
          LiveRestoreEnabled: true,
          Isolation: '',
          InitBinary: 'docker-init',
          ContainerdCommit: { ID: '' },
          RuncCommit: { ID: '' },
          InitCommit: { ID: '' },
          SecurityOptions: f.securityOptions,
          Warnings: [],
        };
        sendJson(ctx.res, 200, infoForVersion(out, ctx.apiVersion));
      },
    },
    {
      method: 'GET',
      path: '/system/df',
      handler: async (ctx) => sendJson(ctx.res, 200, diskUsageForVersion(await f.diskUsage(), ctx.apiVersion)),
    },
  ];
}
