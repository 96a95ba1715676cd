// COPY/ADD --chown: `user[:group]` with names looked up in the image's own /etc/passwd and
// /etc/group (never the host's); a bare user means the same name or id for the group, as in
// moby's parseChownFlag. --chmod: octal only (the classic builder's rule).
import { invalidArgument } from '../../lib/errors.js';
import type { Owner } from '../../lib/id-map.js';
import { parseGroup, parsePasswd, readRootfsFile } from '../../runtime/specgen/user.js';

export type { Owner };

const numeric = (s: string) => (/^\d+$/.test(s) ? Number(s) : undefined);

export async function resolveChown(rootfs: string, spec: string | undefined): Promise<Owner> {
  if (spec === undefined || spec === '') return { uid: 0, gid: 0 };
  const [user, group = user] = spec.split(':', 2) as [string, string?];
  let uid = numeric(user);
  let gid = numeric(group);
  if (uid === undefined) {
    const pw = parsePasswd(await readRootfsFile(rootfs, '/etc/passwd'));
    const e = pw.find((p) => p.name === user);
    if (!e) throw invalidArgument(`unable to convert uid/gid chown string to host mapping: can't find uid for user ${user}: no such user: ${user}`);
    uid = e.uid;
  }
  if (gid === undefined) {
    const gr = parseGroup(await readRootfsFile(rootfs, '/etc/group'));
    const e = gr.find((g) => g.name === group);
    if (!e) throw invalidArgument(`unable to convert uid/gid chown string to host mapping: can't find gid for group ${group}: no such group: ${group}`);
    gid = e.gid;
  }
  return { uid, gid };
}

export function parseChmod(spec: string | undefined): number | undefined {
  if (spec === undefined || spec === '') return undefined;
  if (!/^[0-7]{1,4}$/.test(spec)) throw invalidArgument(`invalid chmod parameter: ${spec}. it should be octal string and between 0 and 07777`);
  return parseInt(spec, 8);
}
