// The manifest of an incremental build context (Berth's API extension, docs/build-context.md):
// what the berth CLI sends instead of a whole context tar. Each entry names one path of the
// context (after .dockerignore) with its kind, permission bits, modification time and, for a
// regular file, its size and sha256; the daemon answers which contents it lacks and the CLI then
// sends only those. One module for both sides: the CLI writes this shape, the daemon checks it
// here as hostile input (a bad manifest is a 400, never a write outside the context).
import { invalidArgument } from './errors.js';

export interface ManifestEntry {
  /** Context-relative path, '/'-separated, no '.', '..' or empty parts. */
  p: string;
  t: 'f' | 'd' | 'l';
  /** Permission bits (07777). */
  m: number;
  /** Modification time in ms since the epoch. */
  mt: number;
  /** Regular file: size and sha256 (hex). */
  s?: number;
  d?: string;
  /** Symlink: its target, stored as data and never followed. */
  l?: string;
}

export interface ContextManifest {
  entries: ManifestEntry[];
}

/** The name of the manifest inside the upload tar (first entry); content blobs follow as `blobs/<sha256>`. */
export const MANIFEST_ENTRY = 'manifest.json';
export const BLOB_PREFIX = 'blobs/';
export const SHA256_HEX = /^[0-9a-f]{64}$/;
/** A context id the CLI picks (sha256 of the context's real path); also a directory key on the daemon. */
export const CONTEXT_ID = /^[0-9a-f]{16,64}$/;

const MAX_ENTRIES = 1_000_000;

function bad(why: string): never {
  throw invalidArgument(`invalid build context manifest: ${why}`);
}

function cleanPath(raw: unknown): string {
  if (typeof raw !== 'string' || raw === '') bad('an entry has no path');
  if (raw.includes('\0')) bad(`path ${JSON.stringify(raw)} contains a NUL byte`);
  if (raw.startsWith('/')) bad(`absolute path ${JSON.stringify(raw)}`);
  const parts = raw.split('/');
  for (const p of parts) {
    if (p === '..') bad(`path ${JSON.stringify(raw)} contains ".."`);
    if (p === '' || p === '.') bad(`path ${JSON.stringify(raw)} is not clean`);
  }
  return raw;
}

/**
 * Checks a manifest received from a client and returns its entries in an order safe to apply
 * (parents before children). Rejected: unclean, absolute or `..` paths, duplicates, an entry
 * below a symlink or a regular file of the manifest (a write through a symlink out of the
 * context), bad modes, sizes or digests.
 */
export function parseManifest(value: unknown): ManifestEntry[] {
  const list = (value as { entries?: unknown } | null)?.entries;
  if (!Array.isArray(list)) bad('expected {"entries": [...]}');
  if (list.length > MAX_ENTRIES) bad(`more than ${MAX_ENTRIES} entries`);
  const out: ManifestEntry[] = [];
  const kinds = new Map<string, ManifestEntry['t']>();
  for (const raw of list as unknown[]) {
    if (typeof raw !== 'object' || raw === null) bad('an entry is not an object');
    const e = raw as Record<string, unknown>;
    const p = cleanPath(e.p);
    if (kinds.has(p)) bad(`path ${JSON.stringify(p)} appears twice`);
    const t = e.t;
    if (t !== 'f' && t !== 'd' && t !== 'l') bad(`entry ${JSON.stringify(p)} has an unknown type ${JSON.stringify(t)}`);
    const m = e.m;
    if (typeof m !== 'number' || !Number.isInteger(m) || m < 0 || m > 0o7777) bad(`entry ${JSON.stringify(p)} has a bad mode`);
    const mt = e.mt;
    if (typeof mt !== 'number' || !Number.isFinite(mt)) bad(`entry ${JSON.stringify(p)} has a bad mtime`);
    const entry: ManifestEntry = { p, t, m, mt };
    if (t === 'f') {
      if (typeof e.s !== 'number' || !Number.isSafeInteger(e.s) || e.s < 0) bad(`file ${JSON.stringify(p)} has a bad size`);
      if (typeof e.d !== 'string' || !SHA256_HEX.test(e.d)) bad(`file ${JSON.stringify(p)} has a bad digest`);
      entry.s = e.s;
      entry.d = e.d;
    } else if (t === 'l') {
      if (typeof e.l !== 'string' || e.l === '' || e.l.includes('\0')) bad(`symlink ${JSON.stringify(p)} has a bad target`);
      entry.l = e.l;
    }
    kinds.set(p, t);
    out.push(entry);
  }
  // Every ancestor named in the manifest must be a directory: `a` a symlink to /etc and then
  // `a/passwd` would write through it. Ancestors not named are made as plain directories.
  for (const e of out) {
    for (let i = e.p.indexOf('/'); i >= 0; i = e.p.indexOf('/', i + 1)) {
      const kind = kinds.get(e.p.slice(0, i));
      if (kind !== undefined && kind !== 'd') bad(`entry ${JSON.stringify(e.p)} is below a ${kind === 'l' ? 'symlink' : 'file'} of the context`);
    }
  }
  return out.sort((a, b) => depth(a.p) - depth(b.p) || (a.p < b.p ? -1 : a.p > b.p ? 1 : 0));
}

function depth(p: string): number {
  let n = 0;
  for (let i = 0; i < p.length; i++) if (p.charCodeAt(i) === 47) n++;
  return n;
}
