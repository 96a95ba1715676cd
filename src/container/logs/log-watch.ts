// Waits for a log file to change: fs.watch (inotify) wakes us at once, a poll timer covers
// what inotify misses (file created later, filesystems without events, watcher limits).
import { watch, type FSWatcher } from 'node:fs';

export class FileChangeWaiter {
  private watcher: FSWatcher | undefined;
  private wake: (() => void) | undefined;
  private dirty = false;

  constructor(
    private readonly path: string,
    private readonly pollMs = 150,
  ) {}

  /** Starts watching if the file now exists; harmless to call again. */
  ensureWatching(): void {
    if (this.watcher) return;
    try {
      this.watcher = watch(this.path, { persistent: false }, () => this.notify());
      this.watcher.on('error', () => this.stopWatcher());
    } catch {
      this.watcher = undefined; // not there yet, or no inotify: polling still works
    }
  }

  /** The path now names another file (a rotation): an inotify watch follows the old inode, so watch the path again. */
  rewatch(): void {
    this.stopWatcher();
    this.ensureWatching();
  }

  private notify(): void {
    this.dirty = true;
    this.wake?.();
  }

  /** Resolves on a change, after the poll interval, after `maxMs`, or when `signal` aborts. */
  wait(signal?: AbortSignal, maxMs?: number): Promise<void> {
    if (this.dirty || signal?.aborted) {
      this.dirty = false;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        this.wake = undefined;
        this.dirty = false;
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, Math.min(this.pollMs, maxMs ?? this.pollMs)));
      signal?.addEventListener('abort', done, { once: true });
      this.wake = done;
    });
  }

  private stopWatcher(): void {
    this.watcher?.close();
    this.watcher = undefined;
  }

  close(): void {
    this.stopWatcher();
    this.wake?.();
  }
}
