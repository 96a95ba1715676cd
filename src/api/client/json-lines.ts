// Newline-delimited JSON from a byte stream (events, stats, jsonmessage progress).
import type { Readable } from 'node:stream';

/**
 * JSON.parse that also keeps the exact digits of top-level integer fields named in `exact`
 * (event timeNano exceeds a double) as a non-enumerable `<key>Exact` string.
 */
export function parseExact<T>(line: string, exact: string[] = []): T {
  const v = JSON.parse(line) as Record<string, unknown>;
  for (const k of exact) {
    const m = new RegExp(`"${k}":(-?\\d+)`).exec(line);
    if (m && v && typeof v === 'object') Object.defineProperty(v, `${k}Exact`, { value: m[1], enumerable: false });
  }
  return v as T;
}

export async function* readJsonLines<T>(
  stream: Readable | Iterable<Buffer | string> | AsyncIterable<Buffer | string>,
  exact: string[] = [],
): AsyncGenerator<T> {
  let buf = '';
  for await (const chunk of stream) {
    buf += typeof chunk === 'string' ? chunk : (chunk as Buffer).toString('utf8');
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl).trim();
      buf = buf.slice(nl + 1);
      if (line) yield parseExact<T>(line, exact);
    }
  }
  if (buf.trim()) yield parseExact<T>(buf, exact);
}
