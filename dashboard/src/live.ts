// Live data: one /events stream for the whole page. Each view re-reads its list when an event
// of its kind arrives (batched over 150 ms: `compose up` emits dozens at once), so what the page
// shows is always what the Engine API answers, never a state the page computed itself.
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { api } from './api.js';

type Listener = (type: string) => void;
const listeners = new Set<Listener>();
let connected = false;
const statusListeners = new Set<(up: boolean) => void>();

function setConnected(up: boolean): void {
  connected = up;
  for (const l of statusListeners) l(up);
}

/** Follows /events until the page goes away; reconnects with a growing pause (bounded attempts). */
export async function followEvents(): Promise<void> {
  const pending = new Set<string>();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const flush = () => {
    timer = undefined;
    const types = [...pending];
    pending.clear();
    for (const t of types) for (const l of listeners) l(t);
  };
  for (let attempt = 0; attempt < 1000; attempt++) {
    try {
      const since = String(Math.floor(Date.now() / 1000));
      const stream = api.events({ since });
      setConnected(true);
      if (attempt > 0) for (const l of listeners) l('*'); // events may have been missed
      for await (const e of stream) {
        attempt = 0;
        pending.add(e.Type ?? 'container');
        timer ??= setTimeout(flush, 150);
      }
    } catch {
      // the daemon restarted or the session ended: try again below
    }
    setConnected(false);
    await new Promise((r) => setTimeout(r, Math.min(30_000, 1000 * 2 ** Math.min(attempt, 5))));
  }
}

export function useConnected(): boolean {
  const [up, setUp] = useState(connected);
  useEffect(() => {
    statusListeners.add(setUp);
    setUp(connected); // the stream may have connected between the first render and this effect
    return () => void statusListeners.delete(setUp);
  }, []);
  return up;
}

export interface Loaded<T> {
  data: T | undefined;
  error: string | undefined;
  reload: () => void;
}

/**
 * Loads `load()` now and again whenever an event of one of `types` arrives; with `everyMs` also
 * on a timer (uptimes such as "Up 3 minutes" change without an event).
 */
export function useLive<T>(load: () => Promise<T>, types: string[], deps: unknown[] = [], everyMs?: number): Loaded<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [tick, setTick] = useState(0);
  const reload = useCallback(() => setTick((n) => n + 1), []);
  // A failed load (the engine busy, a dropped connection) is tried again a few times with a
  // growing pause: a view whose data never changes gets no event to reload it otherwise.
  const failures = useRef(0);
  useEffect(() => {
    let live = true;
    let retry: ReturnType<typeof setTimeout> | undefined;
    load().then(
      (d) => {
        if (!live) return;
        failures.current = 0;
        setData(d);
        setError(undefined);
      },
      (e: unknown) => {
        if (!live) return;
        setError(e instanceof Error ? e.message : String(e));
        if (failures.current < 5) retry = setTimeout(reload, 500 * 2 ** failures.current++);
      },
    );
    return () => {
      live = false;
      clearTimeout(retry);
    };
  }, [tick, ...deps]);
  useEffect(() => {
    const l: Listener = (t) => (t === '*' || types.includes(t)) && reload();
    listeners.add(l);
    return () => void listeners.delete(l);
  }, [types.join(',')]);
  useEffect(() => {
    if (!everyMs) return;
    const t = setInterval(reload, everyMs);
    return () => clearInterval(t);
  }, [everyMs]);
  return { data, error, reload };
}
