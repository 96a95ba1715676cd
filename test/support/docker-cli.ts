// Whether the real docker CLI is on the PATH, for tests that drive it against berthd (their
// `skip` says so instead of failing where it is not installed).
import { execFileSync } from 'node:child_process';

export function dockerCliAvailable(): boolean {
  try {
    execFileSync('docker', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
