// Lookup and the name index: finds containers by full id, name or unique id prefix (as Docker
// does) in the record store's snapshots, and keeps names unique. A name is reserved before the
// first side effect of a create or rename and released when the record goes.
import { invalidArgument } from '../lib/errors.js';
import { containerNameInUse, noSuchContainer } from '../lib/docker-messages.js';
import type { RecordStore } from '../store/records/record-store.js';
import type { ContainerRecord, ContainerSnapshot } from './container-record.js';
import { filterContainers, type ListOptions } from './list-filter.js';
import { generateName } from './names.js';

export class ContainerIndex {
  private readonly names = new Map<string, string>(); // name -> id

  constructor(private readonly records: RecordStore<ContainerRecord>) {
    for (const r of records.values()) this.names.set(r.name, r.id);
  }

  /** Finds by full id, name, or unique id prefix; includes containers still being created. */
  find(ref: string): ContainerSnapshot | undefined {
    const byId = this.records.get(ref);
    if (byId) return byId;
    const byName = this.names.get(ref.replace(/^\//, ''));
    if (byName) return this.records.get(byName);
    if (!/^[a-f0-9]+$/.test(ref)) return undefined;
    const matches = this.records.keys().filter((id) => id.startsWith(ref));
    if (matches.length > 1) throw invalidArgument(`multiple IDs found with provided prefix: ${ref}`);
    return matches.length ? this.records.get(matches[0]!) : undefined;
  }

  /** A container clients may see (not one still being created), or Docker's "No such container". */
  get(ref: string): ContainerSnapshot {
    const r = this.find(ref);
    if (!r || r.phase === 'creating') throw noSuchContainer(ref);
    return r;
  }

  list(o: Omit<ListOptions, 'lookup'>): ContainerSnapshot[] {
    return filterContainers(this.records.values(), { ...o, lookup: (ref) => this.find(ref) });
  }

  /** Every record, in any phase. */
  all(): ContainerSnapshot[] {
    return this.records.values();
  }

  /** A free generated name (adjective_surname, as Docker). */
  freeName(): string {
    return generateName((n) => this.names.has(n));
  }

  /** Claims `name` for `id`, or throws Docker's name conflict. */
  reserve(name: string, id: string): void {
    const owner = this.names.get(name);
    if (owner) throw containerNameInUse(name, owner);
    this.names.set(name, id);
  }

  /** Gives `name` back, if `id` still holds it. */
  release(name: string, id: string): void {
    if (this.names.get(name) === id) this.names.delete(name);
  }
}
