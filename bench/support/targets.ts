// The CLIs a workload runs through ("targets"): the berth CLI and the real docker CLI against our
// berthd, and, when their engines are installed and answering, the docker CLI against dockerd
// and podman. Every external-engine object a benchmark makes carries a per-run label and image
// tag, so its cleanup removes exactly what this run created.
import { join } from 'node:path';
import { BenchDaemon, BERTH } from './bench-daemon.js';
import { timed, exitText, type TimedOptions } from './measure.js';
import { BenchApi } from './api.js';

export interface Target {
  /** Short name for tables: "berth", "docker→berthd", "docker engine", "podman". */
  label: string;
  cmd: string;
  pre: string[];
  env: NodeJS.ProcessEnv;
  image: string;
  /** Arguments for every `run`/`create` (external engines only): the run label, and what the engine needs to start at all here. */
  labelArgs: string[];
  external: boolean;
  /** The engine's API socket, if it has one we can talk to directly. */
  socket?: string;
}

export function berthTargets(d: BenchDaemon): Target[] {
  return [
    { label: 'berth', cmd: process.execPath, pre: [BERTH], env: d.env, image: 'busybox', labelArgs: [], external: false, socket: d.td.socket },
    { label: 'docker→berthd', cmd: 'docker', pre: [], env: d.env, image: 'busybox', labelArgs: [], external: false, socket: d.td.socket },
  ];
}

export function cli(t: Target, args: readonly string[], opts: Omit<TimedOptions, 'env'> = {}) {
  return timed(t.cmd, [...t.pre, ...args], { ...opts, env: t.env });
}

export async function cliOk(t: Target, args: readonly string[], opts: Omit<TimedOptions, 'env'> = {}): Promise<{ ms: number; stdout: string }> {
  const r = await cli(t, args, opts);
  if (r.code !== 0) throw new Error(`${t.label}: ${args.join(' ')} ${exitText(r)}`);
  return { ms: r.ms, stdout: r.stdout };
}

const DOCKER_SOCKET = '/var/run/docker.sock';
const RUN_TAG = `${process.pid}-${Math.random().toString(36).slice(2, 8)}`;

function envWithout(...names: string[]): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const n of names) delete env[n];
  return env;
}

/**
 * Finds external engines: docker counts only if `docker info` against the default socket
 * succeeds (a bare CLI is not an engine); podman if `podman info` succeeds. Prints one line per
 * engine. Imports the busybox rootfs tar into each found engine under a run-unique tag.
 */
export async function externalTargets(rootfsTar: string): Promise<{ targets: Target[]; cleanup: () => Promise<void> }> {
  const targets: Target[] = [];
  const dockerEnv = { ...envWithout('DOCKER_HOST', 'DOCKER_CONTEXT'), DOCKER_HOST: `unix://${DOCKER_SOCKET}` };
  const candidates: Array<Omit<Target, 'image' | 'labelArgs' | 'external'> & { name: string }> = [
    { name: 'docker engine', label: 'docker engine', cmd: 'docker', pre: [], env: dockerEnv, socket: DOCKER_SOCKET },
    { name: 'podman', label: 'podman', cmd: 'podman', pre: [], env: process.env },
  ];
  for (const c of candidates) {
    const info = await timed(c.cmd, [...c.pre, 'info'], { env: c.env, timeoutMs: 10_000 }).catch(() => undefined);
    if (!info || info.code !== 0) {
      console.log(`${c.name}: not installed${info ? ' (no engine answered `info`)' : ''}`);
      continue;
    }
    const image = `berth-bench-busybox:${RUN_TAG}`;
    const imp = await timed(c.cmd, [...c.pre, 'import', rootfsTar, image], { env: c.env, timeoutMs: 120_000 });
    if (imp.code !== 0) {
      console.log(`${c.name}: found, but importing busybox failed (${imp.stderr.trim()}); skipped`);
      continue;
    }
    console.log(`${c.name}: found, comparing`);
    // Podman's default RLIMIT_NOFILE and RLIMIT_NPROC are beyond what root may set here (no
    // CAP_SYS_RESOURCE), so every start fails; `--ulimit host` fails the same way. Explicit small
    // limits start (the workloads are `true` and `sleep`, which these do not touch).
    const extra = c.cmd === 'podman' ? ['--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=1024:1024'] : [];
    const t: Target = { label: c.label, cmd: c.cmd, pre: c.pre, env: c.env, image, labelArgs: ['--label', `berth-bench=${RUN_TAG}`, ...extra], external: true };
    if (c.socket) t.socket = c.socket;
    targets.push(t);
  }
  const cleanup = async (): Promise<void> => {
    for (const t of targets) {
      const ids = (await cli(t, ['ps', '-aq', '--filter', `label=berth-bench=${RUN_TAG}`], { timeoutMs: 30_000 })).stdout.split('\n').filter(Boolean);
      for (let i = 0; i < ids.length; i += 50) await cli(t, ['rm', '-f', ...ids.slice(i, i + 50)], { timeoutMs: 120_000 });
      await cli(t, ['rmi', '-f', t.image], { timeoutMs: 60_000 });
    }
  };
  return { targets, cleanup };
}

/** The rootfs tar TestDaemon.importBusybox() left in the daemon's temp dir. */
export function rootfsTar(d: BenchDaemon): string {
  return join(d.dir, 'rootfs.tar');
}

/** The API of a target's engine, when it has a reachable socket. */
export function apiOf(t: Target): BenchApi | undefined {
  return t.socket ? new BenchApi(t.socket) : undefined;
}

/** Labels for API-created containers on external engines (so their cleanup finds them). */
export function apiLabels(t: Target): Record<string, string> {
  return t.external ? { 'berth-bench': RUN_TAG } : {};
}
