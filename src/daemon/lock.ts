// One berthd per data root: a pid file created exclusively; a stale one (its process gone or not
// a berthd) is taken over. Two daemons on one store would corrupt it.
import { open, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { conflict, errnoCode } from '../lib/errors.js';
import { processAlive } from '../lib/process-alive.js';

async function isBerthd(pid: number): Promise<boolean> {
  try {
    return (await readFile(`/proc/${pid}/cmdline`, 'utf8')).includes('berthd');
  } catch {
    return false;
  }
}

export async function lockDataRoot(dataRoot: string): Promise<() => Promise<void>> {
  const path = join(dataRoot, 'berthd.pid');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fh = await open(path, 'wx', 0o644);
      await fh.writeFile(String(process.pid));
      await fh.close();
      return async () => {
        if ((await readFile(path, 'utf8').catch(() => '')).trim() === String(process.pid)) await unlink(path).catch(() => {});
      };
    } catch (e) {
      if (errnoCode(e) !== 'EEXIST') throw e;
      const pid = Number((await readFile(path, 'utf8').catch(() => '')).trim());
      if (pid && pid !== process.pid && processAlive(pid) && (await isBerthd(pid)))
        throw conflict(`another berthd (pid ${pid}) is using the data root ${dataRoot}`);
      await unlink(path).catch(() => {});
    }
  }
  throw conflict(`cannot lock the data root ${dataRoot}`);
}
