// `docker images` / GET /images/json: which images show and with which references, as moby's
// daemon/images/images.go decides (intermediate images hide unless all; filters dangling,
// label, reference, before, since).
import { invalidArgument } from '../lib/errors.js';
import { goMatch } from '../lib/go-match.js';
import { labelsMatch } from '../lib/label-filter.js';
import { parseUntilFilterMs } from '../lib/time-parse.js';
import type { Digest } from '../lib/digest.js';
import { isDigestRef } from './ref-index.js';
import { familiarName, familiarString, parseReference } from '../lib/reference.js';
import type { ImageStore } from './image-store.js';
import { indexDigestOf, platformImages, type PlatformImage } from './image-platforms.js';

export interface ImageListOptions {
  all?: boolean;
  /** API 1.47's `manifests`: each summary lists the platforms its name holds (`image ls --tree`). */
  manifests?: boolean;
  /** Docker's filters, already decoded to name → values. */
  filters?: Record<string, string[]>;
}

/** Domain form of Docker's ImageSummary; routes pick the wire names. */
export interface ImageSummary {
  id: Digest;
  parentId: Digest | '';
  repoTags: string[]; // familiar; empty when none (routes may show <none>:<none>)
  repoDigests: string[];
  created: number; // unix seconds
  size: number;
  labels: Record<string, string>;
  dangling: boolean; // no references at all
  /** With `manifests`: the platforms the image's name holds, the one it shows first. */
  platforms?: PlatformImage[];
  /** With `manifests`: the digest of the index the name was pulled or pushed as, when it was. */
  index?: Digest;
}

export interface ParsedFilters {
  dangling?: boolean;
  label: string[];
  labelNot: string[];
  reference: string[];
  before?: string;
  since?: string;
  until?: number; // ms
}

export function parseFilters(f: Record<string, string[]>, allowed: string[]): ParsedFilters {
  const out: ParsedFilters = { label: [], labelNot: [], reference: [] };
  for (const [k, vals] of Object.entries(f)) {
    if (!allowed.includes(k)) throw invalidArgument(`invalid filter '${k}'`);
    for (const v of vals) {
      if (k === 'dangling') {
        if (!['true', '1', 'false', '0'].includes(v.toLowerCase())) throw invalidArgument(`invalid filter 'dangling=${v}'`);
        out.dangling = v === 'true' || v === '1' || v.toLowerCase() === 'true';
      } else if (k === 'label') out.label.push(v);
      else if (k === 'label!') out.labelNot.push(v);
      else if (k === 'reference') out.reference.push(v);
      else if (k === 'before') out.before = v;
      else if (k === 'since') out.since = v;
      else if (k === 'until') out.until = parseUntilFilterMs(v);
    }
  }
  return out;
}

/** Go's path.Match; a malformed pattern matches nothing (as a filter it is not an error). */
export function pathMatch(pattern: string, s: string): boolean {
  try {
    return goMatch(pattern, s);
  } catch {
    return false;
  }
}

function refMatches(patterns: string[], key: string): boolean {
  const r = parseReference(key);
  return patterns.some((p) => pathMatch(p, familiarString(r)) || pathMatch(p, familiarName(r)));
}

export function listImages(store: ImageStore, opts: ImageListOptions): ImageSummary[] {
  const f = parseFilters(opts.filters ?? {}, ['dangling', 'label', 'reference', 'before', 'since', 'until']);
  const before = f.before !== undefined ? Date.parse(store.resolve(f.before).created) : undefined;
  const since = f.since !== undefined ? Date.parse(store.resolve(f.since).created) : undefined;
  const out: ImageSummary[] = [];
  for (const rec of store.all()) {
    const created = Date.parse(rec.created);
    if (before !== undefined && !(created < before)) continue;
    if (since !== undefined && !(created > since)) continue;
    if (f.until !== undefined && !(created < f.until)) continue;
    const labels = store.config(rec.id).config?.Labels ?? {};
    if (!labelsMatch(labels, f.label)) continue;
    let refs = store.refs.refsOf(rec.id);
    // Another platform's image of a multi-platform name: the name is listed once, with the image it shows.
    if (refs.length === 0 && store.refs.holdersOf(rec.id).length > 0) continue;
    if (f.reference.length) refs = refs.filter((k) => refMatches(f.reference, k));
    const repoTags = refs.filter((k) => !isDigestRef(k)).map((k) => familiarString(parseReference(k)));
    const repoDigests = refs.filter(isDigestRef).map((k) => familiarString(parseReference(k)));
    const children = store.children(rec.id).length;
    if (f.dangling === true && children > 0) continue; // moby lists dangling among heads only
    if (refs.length === 0) {
      if (!(opts.all || children === 0)) continue;
      if (f.dangling === false || f.reference.length) continue;
    } else if (f.dangling === true && repoTags.length > 0) continue;
    const summary: ImageSummary = {
      id: rec.id,
      parentId: rec.parent ?? '',
      repoTags,
      repoDigests,
      created: Math.floor(created / 1000),
      size: rec.size,
      labels,
      dangling: refs.length === 0,
    };
    if (opts.manifests) {
      // The name's platforms (its first tag's, as every tag of a multi-platform build names them all).
      const name = refs.find((k) => !isDigestRef(k)) ?? refs[0];
      summary.platforms = platformImages(store, name ?? rec.id);
      const index = name && indexDigestOf(store, name);
      if (index) summary.index = index;
    }
    out.push(summary);
  }
  return out.sort((a, b) => b.created - a.created || a.id.localeCompare(b.id));
}
