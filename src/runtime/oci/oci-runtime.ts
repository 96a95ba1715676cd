// OciRuntime: a thin driver over an OCI runtime binary (crun by default, runc as an option).
// It holds no state of its own: the runtime's state dir (`--root`) is the truth.
// Creating a container's init process and exec processes goes through the monitor (berth-shim),
// which invokes the runtime itself so that it can own the process's stdio.

export type RuntimeStatus = 'creating' | 'created' | 'running' | 'paused' | 'stopped';

export interface RuntimeState {
  id: string;
  pid: number;
  status: RuntimeStatus;
  bundle: string;
}

export interface OciRuntime {
  readonly name: string; // 'crun' | 'runc'
  readonly path: string; // the binary
  readonly root: string; // state dir passed as --root
  /** Argument prefix for every invocation: [path, '--root', root, ...]. */
  baseArgs(): string[];
  /**
   * Runtime-specific speed-ups applied to a spec before create (crun: a precompiled seccomp
   * program); the returned function is called after a successful create.
   */
  prepareSpec(id: string, spec: object): Promise<() => Promise<void>>;
  /** True if the runtime holds state for the container. */
  exists(id: string): Promise<boolean>;
  start(id: string): Promise<void>;
  kill(id: string, signal: string | number, all?: boolean): Promise<void>;
  delete(id: string, force?: boolean): Promise<void>;
  /** undefined if the runtime does not know the container. */
  state(id: string): Promise<RuntimeState | undefined>;
  pause(id: string): Promise<void>;
  resume(id: string): Promise<void>;
  /** Pids of every process in the container (for top). */
  pids(id: string): Promise<number[]>;
  /** Applies new cgroup resources (OCI linux.resources JSON) to a running container. */
  update(id: string, resources: object): Promise<void>;
  list(): Promise<RuntimeState[]>;
}
