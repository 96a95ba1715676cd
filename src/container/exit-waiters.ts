// Who waits on a container's exits, removal and next start: in-memory registrations, resolved
// by the exit watcher and the lifecycle. Nothing here outlives the daemon (Docker's waits do not
// either); every registration is removed once it fired or its caller unsubscribed.
import type { ExitStatus } from '../runtime/monitor/monitor.js';

export type PendingAttach = (stateDir: string) => Promise<void>;

export class ExitWaiters {
  private readonly exits = new Map<string, Set<(s: ExitStatus) => void>>();
  private readonly removals = new Map<string, Set<(exitCode: number) => void>>();
  private readonly exiting = new Map<string, Set<() => void>>();
  private readonly attaches = new Map<string, Set<PendingAttach>>();

  /** Resolves at the next recorded exit. */
  nextExit(id: string): Promise<ExitStatus> {
    return new Promise((resolve) => add(this.exits, id, resolve));
  }

  /** Resolves with the last exit code once the container is removed. */
  removed(id: string): Promise<number> {
    return new Promise((resolve) => add(this.removals, id, resolve));
  }

  /** Calls `fn` once, as soon as the process has exited (before the exit is recorded); returns the unsubscribe. */
  whenExiting(id: string, fn: () => void): () => void {
    const set = add(this.exiting, id, fn);
    return () => {
      set.delete(fn);
      if (!set.size && this.exiting.get(id) === set) this.exiting.delete(id);
    };
  }

  /** Registers work against the monitor for the next start (stateDir '' means that start failed). */
  onNextStart(id: string, fn: PendingAttach): () => void {
    const set = add(this.attaches, id, fn);
    return () => set.delete(fn);
  }

  notifyExiting(id: string): void {
    for (const fn of take(this.exiting, id)) fn();
  }

  notifyExit(id: string, status: ExitStatus): void {
    for (const fn of take(this.exits, id)) fn(status);
  }

  notifyRemoved(id: string, exitCode: number): void {
    for (const fn of take(this.removals, id)) fn(exitCode);
  }

  /** The attaches registered for the next start, handed over once. */
  takeAttaches(id: string): PendingAttach[] {
    return take(this.attaches, id);
  }
}

function add<T>(map: Map<string, Set<T>>, id: string, v: T): Set<T> {
  let set = map.get(id);
  if (!set) map.set(id, (set = new Set()));
  set.add(v);
  return set;
}

function take<T>(map: Map<string, Set<T>>, id: string): T[] {
  const set = map.get(id);
  map.delete(id);
  return [...(set ?? [])];
}
