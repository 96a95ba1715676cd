// What the container domain tells the world: Docker events in domain terms. The daemon connects
// this to the event bus behind GET /events.
import type { ContainerRecord } from './container-record.js';
export interface EventSink {
  emit(type: 'container' | 'image' | 'network' | 'volume' | 'daemon', action: string, id: string, attributes?: Record<string, string>): void;
}

export const nullEvents: EventSink = { emit: () => {} };

/**
 * A container event's attributes as dockerd's LogContainerEventWithAttributes makes them: the
 * event's own, the container's labels over them, then its image and name. Clients filter events
 * by those labels (docker-compose's `events` asks for its project's).
 */
export function containerEventAttributes(rec: Pick<ContainerRecord, 'name' | 'config'>, own: Record<string, string> = {}): Record<string, string> {
  return { ...own, ...rec.config.labels, ...(rec.config.image ? { image: rec.config.image } : {}), name: rec.name };
}
