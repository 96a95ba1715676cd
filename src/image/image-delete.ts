// `docker rmi` and `docker image prune` with moby's rules (daemon/images/image_delete.go):
// a reference given by name is untagged first, and the image is deleted only when no reference
// is left; an id given deletes the image if it has at most one repository's references. Hard
// conflicts (child images, running containers) are never forced; soft ones (other references,
// stopped containers) yield to force.
import { imageDeleteConflict, imageReferenceInUse } from '../lib/docker-messages.js';
import { isBerthError, type BerthError } from '../lib/errors.js';
import { shortId, type Digest } from '../lib/digest.js';
import { isDigestRef } from './ref-index.js';
import { familiarString, normaliseRefKey, parseImageLookup, parseReference, repoName } from '../lib/reference.js';
import type { ImageStore } from './image-store.js';
import { parseFilters } from './image-list.js';
import { labelsMatch } from '../lib/label-filter.js';

/** Containers using an image: the container domain answers (running ones are hard conflicts). */
export type ImageUsers = (imageId: Digest) => { id: string; running: boolean }[];

/** Docker's ImageDeleteResponseItem. */
export type DeleteItem = { Untagged: string } | { Deleted: string };

export interface PruneResult {
  deleted: DeleteItem[];
  spaceReclaimed: number;
}

const repoOf = (key: string) => repoName(parseReference(key));

/** moby's isSingleReference: one tag (or none) plus digests, all in one repository. */
function isSingleReference(refs: string[]): boolean {
  if (refs.length <= 1) return refs.length === 1;
  const tags = refs.filter((r) => !isDigestRef(r));
  if (tags.length > 1) return false;
  const digestRepos = new Set(refs.filter(isDigestRef).map(repoOf));
  const single = tags[0] ?? refs[0]!;
  return digestRepos.size === 1 && digestRepos.has(repoOf(single));
}

function isIdPrefix(id: Digest, input: string): boolean {
  return id.startsWith(input) || id.startsWith(`sha256:${input}`);
}

type Mask = { child?: boolean; running?: boolean; refs?: boolean; stopped?: boolean };

function checkConflict(store: ImageStore, id: Digest, m: Mask, users: ImageUsers): { err: BerthError; used: boolean } | undefined {
  const sid = shortId(id);
  if (m.child && store.children(id).length > 0) return { err: imageDeleteConflict(sid, true, 'image has dependent child images'), used: false };
  const using = m.running || m.stopped ? users(id) : [];
  const running = using.find((c) => c.running);
  if (m.running && running) return { err: imageDeleteConflict(sid, true, `image is being used by running container ${shortId(running.id)}`), used: true };
  if (m.refs && store.refs.refsOf(id).length > 0) return { err: imageDeleteConflict(sid, false, 'image is referenced in multiple repositories'), used: false };
  const stopped = using.find((c) => !c.running);
  if (m.stopped && stopped) return { err: imageDeleteConflict(sid, false, `image is being used by stopped container ${shortId(stopped.id)}`), used: true };
  return undefined;
}

export async function deleteImage(store: ImageStore, input: string, force: boolean, prune: boolean, users: ImageUsers): Promise<DeleteItem[]> {
  const rec = store.resolve(input);
  const id = rec.id;
  const items: DeleteItem[] = [];
  let refs = store.refs.refsOf(id);
  let quiet = false;
  const look = parseImageLookup(input);
  const byRef = !isIdPrefix(id, input) && look.kind === 'reference';
  if (byRef) {
    const key = normaliseRefKey(input);
    if (!force && isSingleReference(refs)) {
      const c = users(id)[0];
      if (c) throw imageReferenceInUse(input, shortId(c.id), shortId(id));
    }
    const changes: [string, undefined][] = [[key, undefined]];
    const others = store.refs.others(key); // the other platforms' images the name holds go with it
    items.push({ Untagged: familiarString(parseReference(key)) });
    let remaining = refs.filter((r) => r !== key);
    // A tag removed and no other tag left in its repository: its digest references go too.
    if (!isDigestRef(key) && !remaining.some((r) => !isDigestRef(r) && repoOf(r) === repoOf(key))) {
      for (const r of remaining.filter((r) => isDigestRef(r) && repoOf(r) === repoOf(key))) {
        changes.push([r, undefined]);
        items.push({ Untagged: familiarString(parseReference(r)) });
      }
      remaining = remaining.filter((r) => !(isDigestRef(r) && repoOf(r) === repoOf(key)));
    }
    await store.refs.update(changes);
    for (const o of others)
      if (store.has(o) && !store.refs.refsOf(o).length && !store.refs.holdersOf(o).length) await deleteHelper(store, o, items, force, prune, true, users);
    if (remaining.length > 0) return items;
    quiet = true;
  } else if (isSingleReference(refs)) {
    const c = checkConflict(store, id, force ? { child: true, running: true } : { child: true, running: true, stopped: true }, users);
    if (c) throw c.err;
    await store.refs.update(refs.map((r) => [r, undefined]));
    for (const r of refs) items.push({ Untagged: familiarString(parseReference(r)) });
    refs = [];
  }
  await deleteHelper(store, id, items, force, prune, quiet, users);
  return items;
}

async function deleteHelper(
  store: ImageStore,
  id: Digest,
  items: DeleteItem[],
  force: boolean,
  prune: boolean,
  quiet: boolean,
  users: ImageUsers,
): Promise<void> {
  const mask: Mask = force ? { child: true, running: true } : { child: true, running: true, refs: true, stopped: true };
  const c = checkConflict(store, id, mask, users);
  if (c) {
    // After an untag (or while pruning parents) a conflict on a still-referenced, unused image is
    // silent: the untag alone was the answer.
    const dangling = store.refs.refsOf(id).length === 0;
    if (quiet && (!dangling || c.used)) return;
    throw c.err;
  }
  const parent = store.all().find((r) => r.id === id)?.parent;
  for (const r of store.refs.refsOf(id)) items.push({ Untagged: familiarString(parseReference(r)) });
  const removedLayers = await store.dropImage(id);
  items.push({ Deleted: id });
  for (const l of removedLayers) items.push({ Deleted: l });
  if (!prune || !parent || !store.has(parent)) return;
  await deleteHelper(store, parent, items, false, true, true, users);
}

/** `docker image prune`: dangling images (no tag), or with all=true every image no container uses. */
export async function pruneImages(store: ImageStore, opts: { all?: boolean; filters?: Record<string, string[]> }, users: ImageUsers): Promise<PruneResult> {
  const f = parseFilters(opts.filters ?? {}, ['dangling', 'label', 'label!', 'until']);
  let danglingOnly = !opts.all;
  if (f.dangling !== undefined) danglingOnly = f.dangling;
  const until = f.until;
  const sizes = new Map(store.all().flatMap((r) => r.layers.map((l) => [l.chainId as string, l.size] as const)));
  const candidates = store.all().filter((r) => {
    const refs = store.refs.refsOf(r.id);
    if (refs.length === 0 && store.children(r.id).length > 0) return false;
    if (refs.length === 0 && store.refs.holdersOf(r.id).length > 0) return false; // held by a multi-platform name
    if (users(r.id).length > 0) return false; // never untag what a container uses
    if (danglingOnly && store.children(r.id).length > 0) return false;
    if (until !== undefined && Date.parse(r.created) >= until) return false;
    return labelsMatch(store.config(r.id).config?.Labels ?? {}, f.label, f.labelNot);
  });
  const deleted: DeleteItem[] = [];
  for (const r of candidates) {
    if (!store.has(r.id)) continue; // removed already as a pruned parent
    const refs = store.refs.refsOf(r.id);
    const targets = refs.length === 0 ? [r.id.slice(7)] : !danglingOnly || refs.every(isDigestRef) ? refs : [];
    for (const t of targets) {
      try {
        deleted.push(...(await deleteImage(store, t, false, true, users)));
      } catch (e) {
        if (!isBerthError(e, 'conflict') && !isBerthError(e, 'not-found')) throw e;
      }
    }
  }
  let spaceReclaimed = 0;
  for (const d of deleted) if ('Deleted' in d) spaceReclaimed += sizes.get(d.Deleted) ?? 0;
  return { deleted, spaceReclaimed };
}
