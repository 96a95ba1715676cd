// `docker container prune`: removes the stopped containers the filters select (label, until),
// each as `rm` would, and reports what went and how much writable-layer space that freed. A
// container that cannot be removed (it started meanwhile) is skipped, as dockerd skips it.
import { parseUntilFilterMs } from '../lib/time-parse.js';
import type { ContainerRecord } from './container-record.js';
import type { ListOptions } from './list-filter.js';

/** What prune needs of the container service. */
export interface PruneSource {
  list(o: Omit<ListOptions, 'lookup'>): ContainerRecord[];
  remove(ref: string, opts: { force: boolean; volumes: boolean }): Promise<void>;
}

export interface ContainerPruneResult {
  deleted: string[];
  /** Bytes of the removed containers' writable layers. */
  spaceReclaimed: number;
}

/** `sizeRw`: a container's writable-layer bytes (measured before it goes). */
export async function pruneContainers(
  containers: PruneSource,
  filters: Record<string, string[]>,
  sizeRw: (rec: ContainerRecord) => Promise<number>,
): Promise<ContainerPruneResult> {
  const until = filters.until?.[0];
  const untilMs = until ? parseUntilFilterMs(until) : undefined;
  const deleted: string[] = [];
  let spaceReclaimed = 0;
  for (const r of containers.list({ all: true, filters: { status: ['exited', 'created', 'dead'], ...(filters.label ? { label: filters.label } : {}) } })) {
    if (untilMs !== undefined && Date.parse(r.created) >= untilMs) continue;
    const size = await sizeRw(r);
    await containers.remove(r.id, { force: false, volumes: false }).then(
      () => {
        deleted.push(r.id);
        spaceReclaimed += size;
      },
      () => {},
    );
  }
  return { deleted, spaceReclaimed };
}
