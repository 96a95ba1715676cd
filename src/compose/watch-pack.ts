// A tar of host files placed at container paths (for PUT /archive at "/"): each synced file or
// directory tree under its target name, with the parent directories it needs.
import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import tarStream from 'tar-stream';
import type { SyncItem } from './watch-plan.js';

export function packPathTo(items: SyncItem[]): tarStream.Pack {
  const pack = tarStream.pack();
  const dirs = new Set<string>();
  const parents = (name: string) => {
    const parts = name.split('/');
    for (let i = 1; i < parts.length; i++) {
      const d = parts.slice(0, i).join('/');
      if (dirs.has(d)) continue;
      dirs.add(d);
      pack.entry({ name: `${d}/`, type: 'directory', mode: 0o755 });
    }
  };
  const add = (host: string, name: string) => {
    const st = lstatSync(host, { throwIfNoEntry: false });
    if (!st) return;
    const base = { name, mode: st.mode & 0o7777, mtime: st.mtime };
    if (st.isDirectory()) {
      if (!dirs.has(name)) {
        dirs.add(name);
        pack.entry({ ...base, name: `${name}/`, type: 'directory' });
      }
      for (const child of readdirSync(host).sort()) add(join(host, child), `${name}/${child}`);
    } else if (st.isSymbolicLink()) {
      pack.entry({ ...base, type: 'symlink', linkname: readlinkSync(host) });
    } else if (st.isFile()) {
      pack.entry({ ...base, type: 'file' }, readFileSync(host));
    }
  };
  for (const i of items) {
    const name = i.containerPath.replace(/^\/+/, '');
    parents(name);
    add(i.hostPath, name);
  }
  pack.finalize();
  return pack;
}
