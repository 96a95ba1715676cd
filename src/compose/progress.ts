// Compose v2's progress output: one line per resource event. Without a terminal each event is a
// plain line (" Container p-web-1  Started"); on a terminal the block of resources is redrawn in
// place with a spinner for those still working and a check mark for those done, as compose does.

export type ResourceKind = 'Network' | 'Volume' | 'Container' | 'Image' | 'Service';
export interface ProgressEvent {
  kind: ResourceKind;
  name: string;
  /** Compose's words: Creating, Created, Starting, Started, Waiting, Healthy, Exited, Stopping, Stopped, Removing, Removed, Recreate, Recreated, Running, Pulling, Pulled, Building, Built, Error, Warning. */
  status: string;
  /** The event ends this resource's work (a check mark on a terminal). */
  done?: boolean;
  error?: boolean;
  detail?: string;
}

export interface ProgressSink {
  event(e: ProgressEvent): void;
  /** Text that is not a resource event (build output, warnings): printed above the block. */
  text(s: string): void;
  /** Ends the block (prints the final state on a terminal). */
  close(): void;
}

const DONE_WORDS = new Set([
  'Created',
  'Started',
  'Healthy',
  'Exited',
  'Stopped',
  'Removed',
  'Recreated',
  'Running',
  'Pulled',
  'Built',
  'Killed',
  'Paused',
  'Unpaused',
  'Restarted',
  'Skipped',
  'Error',
  'Found',
]);

export function isDone(e: ProgressEvent): boolean {
  return e.done ?? (e.error || DONE_WORDS.has(e.status));
}

export function plainLine(e: ProgressEvent): string {
  return ` ${e.kind} ${e.name}  ${e.status}${e.detail ? ` ${e.detail}` : ''}\n`;
}

export function plainProgress(write: (s: string) => void): ProgressSink {
  return { event: (e) => write(plainLine(e)), text: (s) => write(s), close: () => {} };
}

const SPIN = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/** The terminal form: "[+] Running 3/3" and one redrawn line per resource. */
export function ttyProgress(write: (s: string) => void, verb = 'Running', columns = 80): ProgressSink {
  const rows = new Map<string, { e: ProgressEvent; start: number; end?: number }>();
  let drawn = 0;
  let frame = 0;
  let closed = false;
  const draw = (final = false) => {
    const list = [...rows.values()];
    const done = list.filter((r) => isDone(r.e)).length;
    const lines = [`[+] ${verb} ${done}/${list.length}`];
    const width = Math.max(...list.map((r) => `${r.e.kind} ${r.e.name}`.length), 0);
    for (const r of list) {
      const ok = isDone(r.e);
      const mark = r.e.error ? '\x1b[31m✘\x1b[0m' : ok ? '\x1b[32m✔\x1b[0m' : SPIN[frame % SPIN.length]!;
      const secs = (((r.end ?? Date.now()) - r.start) / 1000).toFixed(1);
      const left = ` ${mark} ${`${r.e.kind} ${r.e.name}`.padEnd(width)}  ${r.e.status}${r.e.detail ? ` ${r.e.detail}` : ''}`;
      const time = `${secs}s`;
      const pad = Math.max(1, columns - visible(left).length - time.length - 1);
      lines.push(`${left}${' '.repeat(pad)}\x1b[34m${time}\x1b[0m`);
    }
    write(`${drawn ? `\x1b[${drawn}A` : ''}${lines.map((l) => `\x1b[2K${l}\n`).join('')}`);
    drawn = lines.length;
    if (final) drawn = 0;
  };
  const timer = setInterval(() => {
    frame++;
    if (rows.size) draw();
  }, 100);
  timer.unref();
  return {
    event(e) {
      const key = `${e.kind}\0${e.name}`;
      const r = rows.get(key);
      if (r) {
        r.e = e;
        if (isDone(e)) r.end ??= Date.now();
        else delete r.end;
      } else rows.set(key, { e, start: Date.now(), end: isDone(e) ? Date.now() : undefined });
      draw();
    },
    text(s) {
      if (drawn) write(`\x1b[${drawn}A\x1b[J`);
      drawn = 0;
      write(s);
      if (rows.size) draw();
    },
    close() {
      if (closed) return;
      closed = true;
      clearInterval(timer);
      if (rows.size) draw(true);
    },
  };
}

function visible(s: string): string {
  return s.replace(/\x1b\[[0-9;]*m/g, '');
}
