// In-memory bus for Docker-style engine events. Publishers stamp nothing themselves: publish()
// adds the time. A bounded ring buffer keeps recent events so a subscriber can ask for a
// backlog (`since`/`until`), and subscribe() hands out the backlog and starts live delivery in
// one step, so no event falls between the two. Filters follow moby's daemon/events/filter.go:
// values of one key OR, different keys AND; container/network/volume/... match the actor id
// or name by prefix; `image` matches id or name with or without tag; `label` values must ALL
// match (as Docker's MatchKVList), each "key" or "key=value".
import { invalidArgument, unavailable } from './errors.js';
import { nowNs } from './time-parse.js';
import { familiarName, parseReference } from './reference.js';
import { labelsMatch } from './label-filter.js';

export type EventType = 'builder' | 'config' | 'container' | 'daemon' | 'image' | 'network' | 'node' | 'plugin' | 'secret' | 'service' | 'volume';

export interface EngineEvent {
  type: EventType;
  /** "create", "start", "die", "exec_start: sh -c x", "health_status: healthy", ... */
  action: string;
  actor: { id: string; attributes: Record<string, string> };
  scope: 'local' | 'swarm';
  time: number; // unix seconds
  timeNano: bigint; // unix nanoseconds (exceeds a double's integer range)
}

export interface EventInput {
  type: EventType;
  action: string;
  actor: { id: string; attributes?: Record<string, string> };
  scope?: 'local' | 'swarm';
}

/** Docker's filters: key -> accepted values. */
export type EventFilters = Record<string, string[]>;

const FILTER_KEYS = new Set([
  'config',
  'container',
  'daemon',
  'event',
  'image',
  'label',
  'network',
  'node',
  'plugin',
  'scope',
  'secret',
  'service',
  'type',
  'volume',
]);
const NAMED_TYPES: EventType[] = ['config', 'container', 'daemon', 'network', 'node', 'plugin', 'secret', 'service', 'volume'];

export function validateEventFilters(filters: EventFilters): void {
  for (const k of Object.keys(filters)) if (!FILTER_KEYS.has(k)) throw invalidArgument(`invalid filter '${k}'`);
}

const values = (f: EventFilters, k: string): string[] => f[k] ?? [];
const exact = (f: EventFilters, k: string, s: string) => values(f, k).length === 0 || values(f, k).includes(s);
const fuzzy = (f: EventFilters, k: string, s: string) => values(f, k).length === 0 || values(f, k).some((v) => s.startsWith(v));

/** The familiar name: "docker.io/library/busybox:1.36" -> "busybox"; "localhost:5000/a:b" -> "localhost:5000/a". */
function stripTag(image: string): string {
  if (image.startsWith('sha256:')) return image;
  try {
    return familiarName(parseReference(image));
  } catch {
    return image; // an id or a name no reference parses: compared as it is
  }
}

/** Whether `e` passes `filters` (Docker's semantics, see the header). */
export function matchesEventFilters(e: EngineEvent, filters: EventFilters): boolean {
  const attrs = e.actor.attributes;
  // "exec_start" alone matches "exec_start: sh"; likewise exec_create and health_status.
  const ev = values(filters, 'event');
  const eventOk = ev.some((v) => v === 'health_status' || v === 'exec_create' || v === 'exec_start')
    ? fuzzy(filters, 'event', e.action)
    : exact(filters, 'event', e.action);
  if (!eventOk || !exact(filters, 'type', e.type) || !exact(filters, 'scope', e.scope)) return false;
  for (const t of NAMED_TYPES) {
    if (!(fuzzy(filters, t, e.actor.id) || fuzzy(filters, t, attrs.name ?? ''))) return false;
  }
  if (values(filters, 'image').length > 0) {
    const name = attrs[e.type === 'image' ? 'name' : 'image'] ?? '';
    const id = e.actor.id;
    if (![id, name, stripTag(id), stripTag(name)].some((s) => s !== '' && exact(filters, 'image', s))) return false;
  }
  return labelsMatch(attrs, values(filters, 'label'));
}

export interface SubscribeOptions {
  filters?: EventFilters;
  /** Epoch ns: deliver buffered events at or after it. */
  since?: bigint;
  /** Epoch ns: buffered events after it are left out (live delivery is the caller's to stop). */
  until?: bigint;
}

export interface Subscription {
  /** Buffered events matching the options (empty unless since or until was given, as Docker). */
  backlog: EngineEvent[];
  unsubscribe(): void;
}

export interface EventBusOptions {
  /** Recent events kept for `since` (Docker keeps 256). */
  capacity?: number;
  /** Clock (epoch ns); tests may pin it. */
  now?: () => bigint;
}

export class EventBus {
  private readonly ring: (EngineEvent | undefined)[];
  private head = 0; // next write position
  private count = 0;
  private readonly subs = new Set<{ filters: EventFilters; listener: (e: EngineEvent) => void }>();
  private readonly now: () => bigint;

  constructor(opts: EventBusOptions = {}) {
    this.ring = new Array(Math.max(1, opts.capacity ?? 256));
    this.now = opts.now ?? nowNs;
  }

  publish(input: EventInput): EngineEvent {
    const timeNano = this.now();
    const e: EngineEvent = {
      type: input.type,
      action: input.action,
      actor: { id: input.actor.id, attributes: { ...(input.actor.attributes ?? {}) } },
      scope: input.scope ?? 'local',
      time: Number(timeNano / 1_000_000_000n),
      timeNano,
    };
    this.ring[this.head] = e;
    this.head = (this.head + 1) % this.ring.length;
    this.count = Math.min(this.count + 1, this.ring.length);
    for (const s of [...this.subs]) {
      if (!matchesEventFilters(e, s.filters)) continue;
      try {
        s.listener(e);
      } catch {
        // A failing subscriber must not stop delivery to the others or fail the publisher.
      }
    }
    return e;
  }

  /** Buffered events, oldest first, within [since, until] and matching filters. */
  recent(opts: SubscribeOptions = {}): EngineEvent[] {
    const out: EngineEvent[] = [];
    const cap = this.ring.length;
    for (let i = 0; i < this.count; i++) {
      const e = this.ring[(this.head - this.count + i + cap) % cap]!;
      if (opts.since !== undefined && e.timeNano < opts.since) continue;
      if (opts.until !== undefined && opts.until > 0n && e.timeNano > opts.until) continue;
      if (opts.filters && !matchesEventFilters(e, opts.filters)) continue;
      out.push(e);
    }
    return out;
  }

  subscribe(listener: (e: EngineEvent) => void, opts: SubscribeOptions = {}): Subscription {
    const filters = opts.filters ?? {};
    validateEventFilters(filters);
    const wantBacklog = (opts.since !== undefined && opts.since > 0n) || (opts.until !== undefined && opts.until > 0n);
    const backlog = wantBacklog ? this.recent({ ...opts, filters }) : [];
    const sub = { filters, listener };
    this.subs.add(sub);
    return { backlog, unsubscribe: () => void this.subs.delete(sub) };
  }

  /**
   * Backlog then live events as an async iterable, ending when `signal` aborts or `until`
   * (epoch ns) passes. Live events queue while the consumer is busy; past `maxQueued` the
   * stream fails rather than grow without bound.
   */
  async *stream(opts: SubscribeOptions & { signal?: AbortSignal; maxQueued?: number } = {}): AsyncGenerator<EngineEvent> {
    const queue: EngineEvent[] = [];
    let wake: (() => void) | undefined;
    let overflow = false;
    const maxQueued = opts.maxQueued ?? 100_000;
    const sub = this.subscribe((e) => {
      if (queue.length >= maxQueued) overflow = true;
      else queue.push(e);
      wake?.();
    }, opts);
    const until = opts.until !== undefined && opts.until > 0n ? opts.until : undefined;
    let timer: NodeJS.Timeout | undefined;
    let ended = false;
    const end = () => {
      ended = true;
      wake?.();
    };
    opts.signal?.addEventListener('abort', end, { once: true });
    try {
      for (const e of sub.backlog) yield e;
      if (until !== undefined) {
        const ms = Number((until - this.now()) / 1_000_000n);
        if (ms < 0) return;
        timer = setTimeout(end, ms + 1);
      }
      while (!ended && !opts.signal?.aborted) {
        if (overflow) throw unavailable('event subscriber too slow: too many queued events');
        const e = queue.shift();
        if (e) {
          if (until !== undefined && e.timeNano > until) return;
          yield e;
          continue;
        }
        await new Promise<void>((r) => (wake = r));
        wake = undefined;
      }
    } finally {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', end);
      sub.unsubscribe();
    }
  }

  /** Number of live subscribers (for diagnostics and tests). */
  get subscriberCount(): number {
    return this.subs.size;
  }
}
