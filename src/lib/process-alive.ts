// Whether a process exists: kill(pid, 0) (EPERM means it exists but is not ours to signal).
// Used where a runtime call raced a container's exit, to tell "it is gone" from a real failure.
import { errnoCode } from './errors.js';

export function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return errnoCode(e) === 'EPERM';
  }
}
