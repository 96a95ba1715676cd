// Query strings as the Engine API reads them (booleans as 1/0, repeated keys for lists). No
// Node imports: the browser's fetch transport uses it too.
/** The Engine API version Berth's clients speak (the /vX.Y prefix). */
export const API_VERSION = '1.45';

export type QueryValue = string | number | boolean | undefined | null | string[];
export type Query = Record<string, QueryValue>;

export function buildQuery(query: Query | undefined): string {
  if (!query) return '';
  const parts: string[] = [];
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined || v === null) continue;
    const vals = Array.isArray(v) ? v : [typeof v === 'boolean' ? (v ? '1' : '0') : String(v)];
    for (const s of vals) parts.push(`${encodeURIComponent(k)}=${encodeURIComponent(s)}`);
  }
  return parts.length ? `?${parts.join('&')}` : '';
}
