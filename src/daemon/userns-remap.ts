// dockerd's --userns-remap: `default` (the `dockremap` user, made with its /etc/subuid and
// /etc/subgid ranges when missing), `USER`, `USER:GROUP`, `UID` or `UID:GID`. The ranges of that
// user in /etc/subuid and /etc/subgid become the containers' id maps (dockerd reads both files by
// the user; the group is only checked to exist); container root is the first host id of each.
// Everything the daemon stores then lives in `<data-root>/<uid>.<gid>`, as dockerd keeps a
// separate tree per remapping. `remapNames` decides from lookups (pure but for them);
// `resolveRemap` and `prepareRemappedRoot` perform.
import { execFile } from 'node:child_process';
import { appendFile, readFile, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { invalidArgument } from '../lib/errors.js';
import { freeSubIdStart, subIdRanges, type IdMap } from '../lib/id-map.js';
import { mkdirPassable } from '../lib/mkdir-owned.js';

const execFileP = promisify(execFile);
export const DEFAULT_REMAP_USER = 'dockremap';
const RANGE_SIZE = 65536;

export interface Remap {
  /** The containers' id maps; absent when the user is root (dockerd: "user namespaces are OFF"). */
  map?: IdMap;
  /** Host uid and gid of the containers' root: the name of the data tree, `<uid>.<gid>`. */
  rootUid: number;
  rootGid: number;
  /** What dockerd logs about it (`root`: its warning). */
  warning?: string;
  user: string;
  group: string;
}

export interface Entry {
  name: string;
  id: number;
}

/** getent passwd/group, by name or number. */
export interface IdLookup {
  user(key: string): Promise<Entry | undefined>;
  group(key: string): Promise<Entry | undefined>;
}

const notFound = (key: string, db: 'passwd' | 'group') => `getent unable to find entry "${key}" in ${db} database`;
const isNumber = (s: string) => /^\d+$/.test(s);

/**
 * The user and group a --userns-remap value names, with dockerd's checks and messages; 'create'
 * when `default` needs the dockremap user made first (then dockremap:dockremap, as dockerd).
 */
export async function remapNames(spec: string, lookup: IdLookup): Promise<{ user: string; group: string } | 'create'> {
  const parts = spec.split(':');
  if (parts.length > 2 || !parts[0]) throw invalidArgument(`Invalid user/group specification in --userns-remap: ${JSON.stringify(spec)}`);
  const [userPart, groupPart] = parts as [string, string | undefined];
  let user: string;
  let group: string | undefined;
  if (isNumber(userPart)) {
    const u = await lookup.user(userPart);
    if (!u) throw invalidArgument(`Uid ${userPart} has no entry in /etc/passwd: ${notFound(userPart, 'passwd')}`);
    user = u.name;
    if (groupPart === undefined) {
      // a uid alone: the gid of the same number
      const g = await lookup.group(userPart);
      if (!g) throw invalidArgument(`Gid ${userPart} has no entry in /etc/group: ${notFound(userPart, 'group')}`);
      group = g.name;
    }
  } else {
    const name = userPart === 'default' ? DEFAULT_REMAP_USER : userPart;
    const u = await lookup.user(name);
    if (!u && userPart === 'default') return 'create';
    if (!u) throw invalidArgument(`Error during uid lookup for ${JSON.stringify(name)}: ${notFound(name, 'passwd')}`);
    user = u.name;
    if (groupPart === undefined) {
      const g = await lookup.group(name);
      if (!g) throw invalidArgument(`Error during gid lookup for ${JSON.stringify(name)}: ${notFound(name, 'group')}`);
      group = g.name;
    }
  }
  if (groupPart !== undefined) {
    const g = await lookup.group(groupPart);
    // "/etc/passwd" for a gid is dockerd's own wording
    if (!g && isNumber(groupPart)) throw invalidArgument(`Gid ${groupPart} has no entry in /etc/passwd: ${notFound(groupPart, 'group')}`);
    if (!g) throw invalidArgument(`Error during groupname lookup for ${JSON.stringify(groupPart)}: ${notFound(groupPart, 'group')}`);
    group = g.name;
  }
  return { user, group: group! };
}

/** The maps of `user` from the texts of /etc/subuid and /etc/subgid (lines by name or by uid). */
export function remapFromSubIds(user: Entry, subuid: string, subgid: string): IdMap {
  const keys = [user.name, String(user.id)];
  const uids = subIdRanges(subuid, keys);
  const gids = subIdRanges(subgid, keys);
  if (!uids.length) throw invalidArgument(`Can't create ID mappings: no subuid ranges found for user ${JSON.stringify(user.name)}`);
  if (!gids.length) throw invalidArgument(`Can't create ID mappings: no subgid ranges found for group ${JSON.stringify(user.name)}`);
  return { uids, gids };
}

async function getent(db: 'passwd' | 'group', key: string): Promise<Entry | undefined> {
  try {
    const { stdout } = await execFileP('getent', [db, key]);
    const f = stdout.trim().split(':');
    return f[0] && f[2] !== undefined ? { name: f[0], id: Number(f[2]) } : undefined;
  } catch {
    return undefined;
  }
}

const hostLookup: IdLookup = { user: (k) => getent('passwd', k), group: (k) => getent('group', k) };
const readOr = (path: string) => readFile(path, 'utf8').catch(() => '');

/** Adds a 65536-id range for `name` to a sub-id file that has none for it. */
async function ensureRange(path: string, name: string): Promise<void> {
  const text = await readOr(path);
  if (subIdRanges(text, [name]).length) return;
  const start = freeSubIdStart(text, RANGE_SIZE);
  await appendFile(path, `${text && !text.endsWith('\n') ? '\n' : ''}${name}:${start}:${RANGE_SIZE}\n`);
}

/** dockerd's `default`: a system user and group `dockremap` with 65536 ids of their own in /etc/subuid and /etc/subgid. */
async function createDefaultUser(): Promise<void> {
  try {
    await execFileP('useradd', ['--system', '--shell', '/bin/false', '--no-create-home', '--user-group', DEFAULT_REMAP_USER]);
  } catch (e) {
    throw invalidArgument(`Error during ${JSON.stringify(DEFAULT_REMAP_USER)} user creation: ${(e as { stderr?: string }).stderr?.trim() || String(e)}`);
  }
}

/** Resolves a --userns-remap value on this host: users looked up (dockremap made for `default`), ranges read. */
export async function resolveRemap(spec: string): Promise<Remap> {
  let names = await remapNames(spec, hostLookup);
  if (names === 'create') {
    await createDefaultUser();
    names = { user: DEFAULT_REMAP_USER, group: DEFAULT_REMAP_USER };
  }
  if (names.user === DEFAULT_REMAP_USER) {
    // made by us (now or by an earlier start), or by dockerd: make sure it has its ranges
    await ensureRange('/etc/subuid', DEFAULT_REMAP_USER);
    await ensureRange('/etc/subgid', DEFAULT_REMAP_USER);
  }
  const user = (await hostLookup.user(names.user))!;
  if (user.id === 0)
    // dockerd keeps running without a user namespace, and still in a `0.0` tree of its own
    return {
      rootUid: 0,
      rootGid: 0,
      user: names.user,
      group: names.group,
      warning: 'User namespaces: root cannot be remapped with itself; user namespaces are OFF',
    };
  const map = remapFromSubIds(user, await readOr('/etc/subuid'), await readOr('/etc/subgid'));
  return { map, rootUid: map.uids[0]!.hostId, rootGid: map.gids[0]!.hostId, user: names.user, group: names.group };
}

/** Whether uid/gid may search (x) a directory with this mode and owner. */
export function canTraverse(st: { mode: number; uid: number; gid: number }, uid: number, gid: number): boolean {
  if (st.uid === uid) return (st.mode & 0o100) !== 0;
  if (st.gid === gid) return (st.mode & 0o010) !== 0;
  return (st.mode & 0o001) !== 0;
}

/**
 * Makes `<dataRoot>/<uid>.<gid>` (and the data root) `root:<remapped gid> 0710`, as dockerd, so the
 * remapped root can reach its containers' bundles and nobody else can list them; refuses, with
 * dockerd's message, a data root below a directory the remapped root cannot pass. Returns the tree.
 */
export async function prepareRemappedRoot(dataRoot: string, remap: Remap): Promise<string> {
  const tree = join(dataRoot, `${remap.rootUid}.${remap.rootGid}`);
  for (const dir of [dataRoot, tree]) await mkdirPassable(dir, remap.rootGid);
  for (let dir = dirname(dataRoot); ; dir = dirname(dir)) {
    const st = await stat(dir);
    if (!canTraverse(st, remap.rootUid, remap.rootGid))
      throw invalidArgument(
        `a subdirectory in your graphroot path (${tree}) restricts access to the remapped root uid/gid; please fix by allowing 'o+x' permissions on existing directories`,
      );
    if (dir === dirname(dir)) break;
  }
  return tree;
}
