// GET /events: Docker's event stream, one JSON object per line, with the legacy status/id/from
// fields old clients read.
import type { EngineEvent, EventFilters } from '../../lib/event-bus.js';
import { validateEventFilters } from '../../lib/event-bus.js';
import { parseApiTimestampNs } from '../../lib/time-parse.js';
import type { Route } from '../server/route.js';
import type * as Wire from '../types/index.js';

/** What GET /events needs: the event bus's stream (src/lib/event-bus.ts). */
export interface EventSource {
  stream(o: { filters: EventFilters; since: bigint; until?: bigint; signal: AbortSignal }): AsyncIterable<EngineEvent>;
}

export function eventWire(e: EngineEvent): string {
  const legacy =
    e.type === 'container' || e.type === 'image'
      ? { status: e.action, id: e.actor.id, ...(e.actor.attributes.image ? { from: e.actor.attributes.image } : {}) }
      : {};
  const body: Wire.Event = {
    ...legacy,
    Type: e.type,
    Action: e.action,
    Actor: { ID: e.actor.id, Attributes: e.actor.attributes },
    scope: e.scope,
    time: e.time,
    timeNano: 0,
  };
  // timeNano does not fit a double exactly; splice the exact integer into the JSON text.
  return JSON.stringify(body).replace('"timeNano":0', `"timeNano":${e.timeNano.toString()}`) + '\n';
}

export function eventRoutes(d: { events: EventSource }): Route[] {
  return [
    {
      method: 'GET',
      path: '/events',
      handler: async (ctx) => {
        const filters = ctx.query.filters();
        validateEventFilters(filters);
        const since = parseApiTimestampNs(ctx.query.str('since'));
        const until = parseApiTimestampNs(ctx.query.str('until'));
        ctx.res.writeHead(200, { 'Content-Type': 'application/json' });
        ctx.res.flushHeaders();
        const ac = new AbortController();
        const untilTimer = until !== undefined && until > 0n ? setTimeout(() => ac.abort(), Math.max(0, Number(until / 1_000_000n) - Date.now())) : undefined;
        ctx.signal.addEventListener('abort', () => ac.abort(), { once: true });
        for await (const e of d.events.stream({ filters, since: since ?? 0n, until, signal: ac.signal })) {
          ctx.res.write(eventWire(e));
        }
        if (untilTimer) clearTimeout(untilTimer);
        ctx.res.end();
      },
    },
  ];
}
