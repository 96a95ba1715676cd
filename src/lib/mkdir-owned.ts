// `mkdir -p` whose new directories get an owner: what dockerd's MkdirAllAndChownNew does for
// paths it makes for a container under --userns-remap (bind sources, WORKDIR), so the remapped
// root owns them and directories that already existed keep theirs.
import { chmod, chown, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Owner } from './id-map.js';

/** Makes `path` and its missing parents with `mode`; those it made get `owner` when one is given. */
export async function mkdirOwned(path: string, mode: number, owner?: Owner): Promise<void> {
  const first = await mkdir(path, { recursive: true, mode });
  if (!owner || first === undefined) return;
  for (let d = path; d.length >= first.length; d = dirname(d)) await chown(d, owner.uid, owner.gid);
}

/**
 * Makes `dir` (and parents) a directory root keeps and only the group `gid` may pass, not list:
 * `root:<gid> 0710`, what dockerd gives the directories a remapped root must reach (its data
 * tree, `containers`). Applied to an existing directory too.
 */
export async function mkdirPassable(dir: string, gid: number): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o710 });
  await chown(dir, 0, gid);
  await chmod(dir, 0o710);
}
