// dockerd's -G/--group: the group whose members may use the API socket (root:<group> 0660).
// The default group ("berth", as dockerd's "docker") may be missing: then the socket stays
// root:root and berthd says so; a group named explicitly must exist (dockerd's rule too).
import { readFile } from 'node:fs/promises';
import { invalidArgument } from '../lib/errors.js';

export const DEFAULT_SOCKET_GROUP = 'berth';

/** The gid of `group` in /etc/group's text (a number is taken as a gid), or undefined. */
export function gidIn(etcGroup: string, group: string): number | undefined {
  if (/^\d+$/.test(group)) return Number(group);
  for (const line of etcGroup.split('\n')) {
    const [name, , gid] = line.split(':');
    if (name === group && gid !== undefined && /^\d+$/.test(gid)) return Number(gid);
  }
  return undefined;
}

/** What to do with the socket's group: a gid, or none (with the warning to log), or an error for an explicit group that does not exist. */
export function resolveSocketGroup(etcGroup: string, group: string | undefined): { gid?: number; warning?: string } {
  const name = group ?? DEFAULT_SOCKET_GROUP;
  if (name === '') return {};
  const gid = gidIn(etcGroup, name);
  if (gid !== undefined) return { gid };
  if (group === undefined) return { warning: `group ${name} not found: the API socket is root:root 0660 (create the group or pass -G)` };
  throw invalidArgument(`group ${name} not found (-G)`);
}

export async function socketGroupGid(group: string | undefined): Promise<{ gid?: number; warning?: string }> {
  return resolveSocketGroup(await readFile('/etc/group', 'utf8').catch(() => ''), group);
}
