// CliRuntime: the OciRuntime over the crun or runc command line. Both take the same commands and
// flags for everything used here (checked with crun 1.8.1 and runc 1.1.5).
import { execFile } from 'node:child_process';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BerthError, internal, notFound } from '../../lib/errors.js';
import type { OciRuntime, RuntimeState, RuntimeStatus } from './oci-runtime.js';
import { SeccompBpfCache } from './seccomp-cache.js';

export interface CliRuntimeOptions {
  name: string; // 'crun' | 'runc'
  path: string;
  root: string;
  /** Where crun's compiled seccomp programs are kept; omitted = no cache. */
  seccompCacheDir?: string;
}

// What each runtime prints for an unknown container id:
//   crun: error opening file `ROOT/ID/status`: No such file or directory
//         cannot open directory `ROOT/ID`: No such file or directory   (delete)
//   runc: container does not exist
const NOT_FOUND = /container does not exist|does not exist|^error opening file .*\/status.*No such file|cannot open directory .*No such file/m;

export class CliRuntime implements OciRuntime {
  readonly name: string;
  readonly path: string;
  readonly root: string;

  constructor(opts: CliRuntimeOptions) {
    this.name = opts.name;
    this.path = opts.path;
    this.root = opts.root;
    // Only crun reads precompiled programs from the annotation; runc would ignore it.
    if (opts.seccompCacheDir && opts.name === 'crun') this.seccomp = new SeccompBpfCache(opts.seccompCacheDir, opts.path, opts.root);
  }

  private readonly seccomp?: SeccompBpfCache;

  async prepareSpec(id: string, spec: object): Promise<() => Promise<void>> {
    if (!this.seccomp) return async () => {};
    const key = await this.seccomp.apply(spec);
    return () => this.seccomp!.learn(key, id).catch(() => {});
  }

  baseArgs(): string[] {
    return [this.path, '--root', this.root];
  }

  /** True if the runtime still holds state for the container (cheap: one stat). */
  async exists(id: string): Promise<boolean> {
    return stat(join(this.root, id)).then(
      () => true,
      () => false,
    );
  }

  async start(id: string): Promise<void> {
    await this.run(['start', id]);
  }

  async kill(id: string, signal: string | number, all = false): Promise<void> {
    await this.run(['kill', ...(all ? ['--all'] : []), id, String(signal)]);
  }

  async delete(id: string, force = false): Promise<void> {
    await this.run(['delete', ...(force ? ['--force'] : []), id]);
  }

  async state(id: string): Promise<RuntimeState | undefined> {
    try {
      return toState(JSON.parse(await this.run(['state', id])));
    } catch (e) {
      if (e instanceof BerthError && e.kind === 'not-found') return undefined;
      throw e;
    }
  }

  /**
   * Returns once the runtime reports the container paused, as `docker pause` does: cgroup v1's
   * freezer freezes asynchronously (FREEZING, then FROZEN) and crun may return before it is done,
   * so on a loaded machine the processes could still run for a moment after the call.
   */
  async pause(id: string): Promise<void> {
    await this.run(['pause', id]);
    for (let i = 0; i < 100; i++) {
      const s = await this.state(id);
      if (!s || s.status !== 'running') return;
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  async resume(id: string): Promise<void> {
    await this.run(['resume', id]);
  }

  // `ps --format json` reads the container's cgroup; it works for both runtimes on the v1 hybrid
  // layout (runc lists every pid of the cgroup, crun too).
  async pids(id: string): Promise<number[]> {
    const v = JSON.parse(await this.run(['ps', '--format', 'json', id])) as unknown;
    return Array.isArray(v) ? v.filter((p): p is number => typeof p === 'number') : [];
  }

  async update(id: string, resources: object): Promise<void> {
    // A file rather than stdin: crun's --resources takes only a path.
    const dir = await mkdtemp(join(tmpdir(), 'berth-update-'));
    try {
      const file = join(dir, 'resources.json');
      await writeFile(file, JSON.stringify(resources));
      await this.run(['update', '--resources', file, id]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  async list(): Promise<RuntimeState[]> {
    const v = JSON.parse((await this.run(['list', '--format', 'json'])) || 'null') as unknown;
    return Array.isArray(v) ? v.map(toState) : []; // runc prints null when empty
  }

  private run(args: string[]): Promise<string> {
    return new Promise((resolve, reject) => {
      execFile(this.path, ['--root', this.root, ...args], { maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
        if (!err) return resolve(stdout);
        const text = runtimeMessage(stderr) || err.message;
        const msg = `${this.name} ${args[0]}: ${text}`;
        reject(NOT_FOUND.test(text) ? notFound(msg, err) : internal(msg, err));
      });
    });
  }
}

/** runc logs `time="..." level=error msg="..."`; crun prints plain text. Keep the message only. */
export function runtimeMessage(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const msgs = lines.map((l) => {
    const m = /level=(\w+) msg="((?:[^"\\]|\\.)*)"/.exec(l);
    return m ? { level: m[1], text: m[2]!.replace(/\\(.)/g, '$1') } : { level: 'error', text: l };
  });
  const errors = msgs.filter((m) => m.level === 'error' || m.level === 'fatal');
  return (errors.length ? errors : msgs).map((m) => m.text).join('; ');
}

function toState(v: unknown): RuntimeState {
  const o = v as { id: string; pid?: number; status: string; bundle?: string };
  return { id: o.id, pid: o.pid ?? 0, status: o.status as RuntimeStatus, bundle: o.bundle ?? '' };
}
