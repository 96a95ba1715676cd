// ShimSpawner: starts berth-shim processes through one long-lived `berth-shim --spawner` child,
// so berthd forks once instead of once per container and exec. A fork copies the forking
// process's page tables: milliseconds for berthd (~90 MB), microseconds for the ~1 MB spawner.
//
// Protocol (see berth-shim.c): a request is "<id> <argc>\n" and argc NUL-terminated arguments;
// the answer is one line "<id> <the shim's sync line>". The spawner ends when its stdin does
// (berthd gone, even by kill -9); the shims it started detach as before and live on. If the
// spawner dies, pending spawns fail and the next spawn starts a new one.
import { spawn, type ChildProcess } from 'node:child_process';
import { internal } from '../../lib/errors.js';
import { log } from '../../lib/log.js';

interface Pending {
  resolve: (line: string) => void;
  reject: (e: Error) => void;
}

export class ShimSpawner {
  private child?: ChildProcess;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private buffered = '';

  constructor(private readonly shimPath: string) {}

  /** The spawner's pid while it runs (tests). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Starts a shim with `args`; resolves with its sync line ("ok ..." or "error ..."). */
  spawn(args: readonly string[]): Promise<string> {
    const child = this.child ?? this.startChild();
    const id = this.nextId++;
    return new Promise<string>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      if (this.pending.size === 1) this.hold(child, true);
      // One string, one buffer: the arguments are paths and flags, never holding a NUL themselves.
      child.stdin!.write(`${id} ${args.length}\n${args.join('\0')}\0`);
    });
  }

  private startChild(): ChildProcess {
    // Stderr is berthd's: the shims' usage errors before they detach land in berthd's log.
    const child = spawn(this.shimPath, ['--spawner'], { stdio: ['pipe', 'pipe', 'inherit'] });
    this.child = child;
    this.hold(child, false);
    child.stdin!.on('error', () => {}); // a dead spawner shows as 'exit' below
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (d: string) => this.onData(d));
    const gone = (why: string) => {
      if (this.child !== child) return;
      this.child = undefined;
      this.buffered = '';
      const err = internal(`berth-shim spawner ${why}`);
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
    child.on('error', (e) => gone(`cannot run ${this.shimPath}: ${e.message}`));
    child.on('exit', (code, sig) => {
      if (this.pending.size) log.warn('berth-shim spawner exited', { code, signal: sig });
      gone(`exited (${sig ?? code})`);
    });
    return child;
  }

  /** The spawner keeps its parent alive only while a spawn is pending (an idle one never does). */
  private hold(child: ChildProcess, on: boolean): void {
    for (const h of [child, child.stdin, child.stdout] as unknown as Array<{ ref?: () => void; unref?: () => void }>) {
      if (on) h.ref?.();
      else h.unref?.();
    }
  }

  private onData(d: string): void {
    this.buffered += d;
    for (let nl = this.buffered.indexOf('\n'); nl >= 0; nl = this.buffered.indexOf('\n')) {
      const line = this.buffered.slice(0, nl);
      this.buffered = this.buffered.slice(nl + 1);
      const sp = line.indexOf(' ');
      const id = Number.parseInt(line.slice(0, sp), 10);
      const p = this.pending.get(id);
      if (!p) continue;
      this.pending.delete(id);
      if (this.pending.size === 0 && this.child) this.hold(this.child, false);
      p.resolve(line.slice(sp + 1));
    }
  }
}
