// `compose watch`: host file events, debounced into batches, planned by watch-plan.ts and then
// performed through the API: changed files copied into the service's running containers (a tar
// through PUT /archive; deletions as `rm -rf` through exec), containers restarted, or the image
// rebuilt and the service recreated.
import { watch, lstatSync, type FSWatcher } from 'node:fs';
import { Readable } from 'node:stream';
import { dirname, basename } from 'node:path';
import { packPathTo } from './watch-pack.js';
import type { ComposeApi } from './api.js';
import { executeUp } from './execute.js';
import { buildService } from './images.js';
import type { Project } from './model.js';
import { observeContainers, observeProject } from './observe.js';
import type { ProgressSink } from './progress.js';
import { planUp } from './reconcile.js';
import { planWatchBatch, watchTriggers, type ServiceWork, type SyncItem } from './watch-plan.js';

export interface WatchOptions {
  services: string[];
  /** Milliseconds of quiet before a batch of changes is acted on. */
  debounceMs?: number;
  log: (line: string) => void;
  progress: ProgressSink;
}

export class ProjectWatcher {
  private readonly watchers: FSWatcher[] = [];
  private pending = new Set<string>();
  private timer?: NodeJS.Timeout;
  private running: Promise<void> = Promise.resolve();
  /** Resolves after each batch is done (tests wait on it; errors are logged, never thrown). */
  onBatch?: (work: ServiceWork[]) => void;

  constructor(
    private readonly api: ComposeApi,
    private readonly project: Project,
    private readonly o: WatchOptions,
  ) {}

  /** Starts watching every rule's path; throws when no service of the selection has `develop.watch`. */
  start(): void {
    const triggers = watchTriggers(this.project, this.o.services);
    if (!triggers.length) throw new Error("none of the selected services is configured for watch, consider setting a 'develop' section");
    const roots = [...new Set(triggers.map((t) => t.rule.path))];
    for (const root of roots) {
      const isDir = lstatSync(root, { throwIfNoEntry: false })?.isDirectory() ?? false;
      const dir = isDir ? root : dirname(root);
      const w = watch(dir, { recursive: isDir }, (_event, name) => {
        if (name === null) return;
        if (!isDir && basename(root) !== String(name)) return;
        this.pending.add(`${dir}/${name}`);
        clearTimeout(this.timer);
        this.timer = setTimeout(() => this.flush(triggers), this.o.debounceMs ?? 300);
      });
      this.watchers.push(w);
    }
    this.o.log('Watch enabled\n');
  }

  close(): void {
    clearTimeout(this.timer);
    for (const w of this.watchers) w.close();
  }

  /** Waits for the batch in progress, if any. */
  idle(): Promise<void> {
    return this.running;
  }

  private flush(triggers: ReturnType<typeof watchTriggers>): void {
    const paths = [...this.pending];
    this.pending.clear();
    const work = planWatchBatch(triggers, paths);
    if (!work.length) return;
    this.running = this.running.then(async () => {
      for (const w of work) {
        try {
          await this.perform(w);
        } catch (e) {
          this.o.log(`Error: service "${w.service}": ${(e as Error).message}\n`);
        }
      }
      this.onBatch?.(work);
    });
  }

  private async perform(w: ServiceWork): Promise<void> {
    const containers = (await observeContainers(this.api, this.project.name, { oneoff: false })).filter(
      (c) => c.service === w.service && c.state === 'running',
    );
    if (w.rebuild) {
      this.o.log(`Rebuilding service "${w.service}" after changes were detected...\n`);
      const id = await buildService(this.api, this.project, w.service, { quiet: true }, this.o.progress);
      const plan = planUp(this.project, await observeProject(this.api, this.project.name), { [w.service]: id }, { services: [w.service], noDeps: true });
      await executeUp({ api: this.api, project: this.project, progress: this.o.progress }, plan);
      this.o.log(`service "${w.service}" successfully built\n`);
      return;
    }
    if (w.sync.length) {
      this.o.log(`Syncing service "${w.service}" after ${w.changes} changes were detected\n`);
      for (const c of containers) await syncInto(this.api, c.id, w.sync);
    }
    if (w.restart) {
      this.o.log(`Restarting service "${w.service}" after changes were detected\n`);
      await Promise.all(containers.map((c) => this.api.containerRestart(c.id)));
    }
  }
}

/** Copies existing paths into the container and removes the ones deleted on the host. */
async function syncInto(api: ComposeApi, id: string, items: SyncItem[]): Promise<void> {
  const present = items.filter((i) => lstatSync(i.hostPath, { throwIfNoEntry: false }));
  const gone = items.filter((i) => !present.includes(i));
  if (present.length) await api.containerArchivePut(id, '/', Readable.from(packPathTo(present)));
  if (gone.length) {
    const exec = await api.execCreate(id, { Cmd: ['rm', '-rf', ...gone.map((g) => g.containerPath)], AttachStdout: false, AttachStderr: false });
    await api.execStartDetached(exec.Id);
    for (let i = 0; i < 100 && (await api.execInspect(exec.Id)).Running; i++) await new Promise((r) => setTimeout(r, 50));
  }
}
