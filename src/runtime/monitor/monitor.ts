// Monitor: each running container (and each exec process) is held by a berth-shim process,
// a small C program that outlives berthd. It owns the process's stdio or pty, writes the
// container log (Docker json-file lines, one per chunk read), records the exit status in an
// exit file, and serves a unix socket for attach, resize, stdin close and exit notification.
//
// Files in a shim's state dir (one per container or exec):
//   shim.sock  the control/attach socket
//   shim.pid   the shim's pid
//   pid        the container process pid (after create)
//   exit       {"exitCode":N,"finishedAt":"RFC3339Nano"} written atomically at exit
//
// Lifecycle (container): spawnContainer() returns once the runtime has *created* the container
// (its process is blocked before exec); callers then attach and call startContainer(). For an
// exec: spawnExec() returns once the shim listens; the exec process starts on handle.start(),
// so attachers never miss output.
import type { Duplex } from 'node:stream';

export interface ShimSpawnOptions {
  id: string; // runtime container id
  bundle: string;
  stateDir: string;
  logPath?: string; // json-file log; omitted = no log
  /** Rotate the log at this many bytes, keeping `logMaxFile` files (dockerd's max-size/max-file); 0 or absent: never. */
  logMaxSize?: number;
  logMaxFile?: number;
  tty: boolean;
  openStdin: boolean;
  /** Close the container's stdin when the first attached client ends its input (docker's StdinOnce). */
  stdinOnce?: boolean;
  /** Name of the OCI runtime to use (e.g. 'runc'); default: the monitor's default runtime. */
  runtime?: string;
}

/**
 * The code of a monitor's error when no connection to the process's monitor could be made (it is
 * gone), so nothing was asked of it: a launch that failed so did not run anything.
 */
export const SHIM_GONE = 'SHIM_GONE';

export interface ExecSpawnOptions {
  containerId: string;
  processJsonPath: string; // OCI process JSON for `runtime exec --process`
  stateDir: string;
  tty: boolean;
  openStdin: boolean;
  /**
   * The shim removes the state dir when it ends and writes no exit file: the status comes only
   * through a `wait` made before the end (launchExec's `exited`), as an exec's lives only in berthd's memory.
   */
  removeStateDirAtExit?: boolean;
  /** The shim ends, as an exec that never ran (status 126), when no start came within this long (a shim spawned ahead of its start). */
  startTimeoutMs?: number;
  /** Name of the OCI runtime that created the container; default: the monitor's default runtime. */
  runtime?: string;
}

export interface ExitStatus {
  exitCode: number;
  finishedAt: string; // RFC 3339 with nanoseconds, UTC
}

export interface AttachStreams {
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
}

export interface Monitor {
  /** Starts a shim that creates the container; resolves with the container's pid. */
  spawnContainer(opts: ShimSpawnOptions): Promise<{ pid: number; shimPid: number }>;
  /**
   * Lets a created container's process run: the shim runs the runtime's `start` (berthd forks
   * nothing). After the process exits the shim also deletes the container from the runtime,
   * before it records the exit.
   */
  startContainer(stateDir: string): Promise<void>;
  /** Starts a shim for an exec process (not yet running). */
  spawnExec(opts: ExecSpawnOptions): Promise<{ shimPid: number }>;
  /** For an exec shim: launches the process; resolves with its pid, or rejects with the runtime's error. */
  startExec(stateDir: string): Promise<{ pid: number }>;
  /**
   * For an exec shim, what an exec start does in one go over connections opened together: the
   * exit wait (registered before the process can end), the attach when `streams` is given (before
   * the process runs, so no output is missed), then the launch. Rejects as startExec does;
   * `exited` is as waitExit's.
   */
  launchExec(stateDir: string, streams?: AttachStreams): Promise<{ pid: number; stream?: Duplex; exited: Promise<ExitStatus> }>;
  /**
   * Connects to the shim's I/O. Reads give the output: for a tty raw bytes; otherwise Docker's
   * stdcopy frames (8-byte header: stream 1|2, 3 zero bytes, big-endian length). Writes go to
   * the process's stdin when stdin was requested; ending the write side closes stdin if the
   * shim was started with stdinOnce.
   */
  attach(stateDir: string, streams: AttachStreams): Promise<Duplex>;
  resize(stateDir: string, rows: number, cols: number): Promise<void>;
  closeStdin(stateDir: string): Promise<void>;
  /** Resolves when the process exits (immediately if it already has). Survives shim death. */
  waitExit(stateDir: string, signal?: AbortSignal): Promise<ExitStatus>;
  /** The exit status if recorded, else undefined. */
  readExit(stateDir: string): Promise<ExitStatus | undefined>;
  /** True if the shim process for this state dir is alive. */
  isAlive(stateDir: string): Promise<boolean>;
}
