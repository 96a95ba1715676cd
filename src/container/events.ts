// What the container domain tells the world: Docker events in domain terms. The daemon connects
// this to the event bus behind GET /events.
export interface EventSink {
  emit(type: 'container' | 'image' | 'network' | 'volume' | 'daemon', action: string, id: string, attributes?: Record<string, string>): void;
}

export const nullEvents: EventSink = { emit: () => {} };
