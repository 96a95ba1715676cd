// Finds files named with a fuzz run's canary outside the directories a test owns: the places a
// path traversal would land (/, /tmp, /etc, /var, /root, /run, the working directory), a few
// levels deep. `find` on the whole filesystem would take minutes; an escape lands near where
// the hostile path pointed (the fuzzer's paths point at /tmp).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);

export async function canaryHits(canary: string, owned: string[]): Promise<string[]> {
  const roots = ['/', '/tmp', '/etc', '/var', '/root', '/run', '/mnt', process.cwd()];
  const { stdout } = await execFileP('find', [...roots, '-xdev', '-maxdepth', '3', '-name', `*${canary}*`], { maxBuffer: 16 << 20 }).catch(
    (e: { stdout?: string }) => ({ stdout: e.stdout ?? '' }), // unreadable dirs (proc-like) make find exit 1
  );
  return [...new Set(stdout.split('\n').filter((p) => p && !owned.some((o) => p === o || p.startsWith(`${o}/`))))];
}
