// Resolves Docker's --user forms against the image's own /etc/passwd and /etc/group, as
// libcontainer does: '', 'name', 'uid', 'uid:gid', 'name:group', 'uid:group'.
import { closeSync, constants, fstatSync, lstatSync, openSync, readSync } from 'node:fs';
import { errnoCode, invalidArgument } from '../../lib/errors.js';
import { resolveInRoot } from '../../lib/safe-path.js';
import { unableToFindGroup, unableToFindUser } from '../../lib/docker-messages.js';

export interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
  shell: string;
}
export interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

export interface ResolvedUser {
  uid: number;
  gid: number;
  additionalGids: number[];
  home: string;
  /** The passwd name, '' when the uid has no entry. */
  name: string;
}

const MAX_ID = 2 ** 31 - 1;
const MAX_ETC_BYTES = 4 * 1024 * 1024; // a passwd file larger than this is not a passwd file

function parseId(s: string): number | undefined {
  if (!/^\d+$/.test(s)) return undefined;
  const n = Number(s);
  if (n > MAX_ID) throw invalidArgument(`uids and gids must be in range 0-${MAX_ID}`);
  return n;
}

export function parsePasswd(text: string): PasswdEntry[] {
  const out: PasswdEntry[] = [];
  for (const line of text.split('\n')) {
    const l = line.trim();
    if (!l || l.startsWith('#')) continue;
    const f = l.split(':');
    const uid = Number(f[2]);
    const gid = Number(f[3]);
    if (!f[0] || !Number.isInteger(uid) || !Number.isInteger(gid) || f[2] === '' || f[3] === '') continue;
    out.push({ name: f[0], uid, gid, home: f[5] ?? '', shell: f[6] ?? '' });
  }
  return out;
}

export function parseGroup(text: string): GroupEntry[] {
  const out: GroupEntry[] = [];
  for (const line of text.split('\n')) {
    const l = line.trim();
    if (!l || l.startsWith('#')) continue;
    const f = l.split(':');
    const gid = Number(f[2]);
    if (!f[0] || f[2] === '' || !Number.isInteger(gid)) continue;
    out.push({
      name: f[0],
      gid,
      members: (f[3] ?? '')
        .split(',')
        .map((m) => m.trim())
        .filter(Boolean),
    });
  }
  return out;
}

/**
 * Reads `rel` inside `rootfs` without ever leaving it (symlinks are resolved root-relative) and
 * only if it is a regular file: a FIFO or device planted by an image must not hang the daemon.
 * The file is read with synchronous calls (a passwd file is a few hundred bytes, read at every
 * start): four round trips through libuv's pool cost berthd's loop more than the reads. O_NONBLOCK
 * and O_NOFOLLOW keep a file swapped for a FIFO or a link after the lstat from blocking or leading out.
 */
export async function readRootfsFile(rootfs: string, rel: string): Promise<string> {
  const p = await resolveInRoot(rootfs, rel);
  try {
    if (!lstatSync(p).isFile()) return '';
    const fd = openSync(p, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK); // libuv adds O_CLOEXEC
    try {
      const st = fstatSync(fd);
      if (!st.isFile()) return '';
      const buf = Buffer.alloc(Math.min(st.size, MAX_ETC_BYTES));
      let n = 0;
      for (let r = 1; r > 0 && n < buf.length; n += r) r = readSync(fd, buf, n, buf.length - n, n);
      return buf.subarray(0, n).toString('utf8');
    } finally {
      closeSync(fd);
    }
  } catch (e) {
    if (errnoCode(e) === 'ENOENT' || errnoCode(e) === 'ENOTDIR' || errnoCode(e) === 'ELOOP') return '';
    throw e;
  }
}

/** Pure resolution over parsed files (the testable core of resolveUser). */
export function resolveUserFrom(passwd: PasswdEntry[], groups: GroupEntry[], user: string, groupAdd: string[] = []): ResolvedUser {
  const colon = user.indexOf(':');
  const userArg = colon < 0 ? user : user.slice(0, colon);
  const groupArg = colon < 0 ? '' : user.slice(colon + 1);

  const uidArg = userArg === '' ? 0 : parseId(userArg);
  const entry = uidArg !== undefined ? passwd.find((p) => p.uid === uidArg) : passwd.find((p) => p.name === userArg);
  if (!entry && uidArg === undefined) throw unableToFindUser(userArg);
  const res: ResolvedUser = entry
    ? { uid: entry.uid, gid: entry.gid, additionalGids: [], home: entry.home || '/', name: entry.name }
    : { uid: uidArg!, gid: 0, additionalGids: [], home: '/', name: '' };

  if (groupArg !== '') {
    const gidArg = parseId(groupArg);
    const g = gidArg !== undefined ? groups.find((x) => x.gid === gidArg) : groups.find((x) => x.name === groupArg);
    if (!g && gidArg === undefined) throw unableToFindGroup(groupArg);
    res.gid = g ? g.gid : gidArg!;
  } else if (res.name) {
    // Supplementary groups come from membership only when the group was not given explicitly.
    for (const g of groups) if (g.members.includes(res.name)) res.additionalGids.push(g.gid);
  }
  for (const ga of groupAdd) {
    const gid = parseId(ga);
    const g = gid !== undefined ? undefined : groups.find((x) => x.name === ga);
    if (gid === undefined && !g) throw unableToFindGroup(ga);
    res.additionalGids.push(gid ?? g!.gid);
  }
  res.additionalGids = [...new Set(res.additionalGids)];
  return res;
}

/** Reads the rootfs's /etc/passwd and /etc/group (absent files count as empty) and resolves. */
export async function resolveUser(rootfs: string, user: string, groupAdd?: string[]): Promise<ResolvedUser> {
  const [pw, gr] = await Promise.all([readRootfsFile(rootfs, '/etc/passwd'), readRootfsFile(rootfs, '/etc/group')]);
  return resolveUserFrom(parsePasswd(pw), parseGroup(gr), user, groupAdd);
}
