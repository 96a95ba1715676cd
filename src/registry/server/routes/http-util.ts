// Small pieces of the wire shared by the registry's routes: chunk bounds from Content-Range and
// Content-Length, the upload Range header, n/last pagination with RFC 5988 Link headers.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { BerthError, invalidArgument } from '../../../lib/errors.js';
import { rangeInvalid } from '../errors.js';
import type { ChunkBounds } from '../uploads.js';

/** `Content-Range: <start>-<end>` (inclusive; "bytes " and "/total" tolerated) and Content-Length. */
export function chunkBounds(req: IncomingMessage): ChunkBounds {
  const b: ChunkBounds = {};
  const len = req.headers['content-length'];
  if (len !== undefined) b.length = Number(len);
  const cr = req.headers['content-range'];
  if (cr !== undefined) {
    const m = /^(?:bytes[ =])?(\d+)-(\d+)(?:\/(?:\d+|\*))?$/.exec(cr.trim());
    if (!m) throw rangeInvalid('invalid Content-Range', { contentRange: cr });
    b.start = Number(m[1]);
    b.end = Number(m[2]);
  }
  return b;
}

/** The upload's progress as the spec writes it: "0-<last byte>" ("0-0" when empty, as distribution says). */
export function uploadRange(size: number): string {
  return `0-${size > 0 ? size - 1 : 0}`;
}

/** The body only when the client sends one (PUT of a final chunk is optional). */
export function hasBody(req: IncomingMessage): boolean {
  const len = req.headers['content-length'];
  if (len !== undefined) return Number(len) > 0;
  return req.headers['transfer-encoding'] !== undefined;
}

/** One page of a sorted list after `last`, at most `n` entries; sets Link when more remain. */
export function paginate(res: ServerResponse, all: string[], query: URLSearchParams, path: string): string[] {
  const nRaw = query.get('n');
  const last = query.get('last') ?? undefined;
  let n: number | undefined;
  if (nRaw !== null && nRaw !== '') {
    n = Number(nRaw);
    if (!Number.isInteger(n) || n < 0)
      throw new BerthError('invalid-argument', `invalid n: ${nRaw}`, { code: 'PAGINATION_NUMBER_INVALID', detail: { n: nRaw } });
  }
  if (n === 0) return [];
  const start = last === undefined ? 0 : all.findIndex((x) => x > last);
  const rest = start < 0 ? [] : all.slice(start);
  const limit = Math.min(n ?? 10_000, 10_000);
  const page = rest.slice(0, limit);
  if (rest.length > page.length && page.length > 0) {
    const q = new URLSearchParams({ n: String(limit), last: page[page.length - 1]! });
    res.setHeader('Link', `<${path}?${q.toString()}>; rel="next"`);
  }
  return page;
}

/** `Range: bytes=a-b` / `a-` / `-n` of a blob GET; undefined for a whole read. */
export function byteRange(header: string | undefined, size: number): { start: number; end: number } | undefined {
  if (header === undefined) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  const bad = () => new BerthError('range-not-satisfiable', 'requested range not satisfiable', { code: 'RANGE_INVALID', detail: { range: header, size } });
  if (!m || (m[1] === '' && m[2] === '')) throw bad();
  let start: number;
  let end: number;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0) throw bad();
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (start > end || start >= size) throw bad();
  return { start, end };
}

export function requireQueryDigest(d: string | undefined): string {
  if (d === undefined || d === '') throw invalidArgument('digest query parameter missing', undefined, { code: 'DIGEST_INVALID' });
  return d;
}
