// A failed start becomes Docker's message and exit code: the docker CLI maps "executable file not
// found" / "no such file or directory" to 127 and "permission denied" to 126 by text, so the
// message must carry those phrases the way runc writes them.
import { BerthError, internal, messageOf } from '../lib/errors.js';

export function startFailure(e: unknown): { error: BerthError; exitCode: number } {
  if (e instanceof BerthError && e.kind !== 'internal') return { error: e, exitCode: 128 };
  const msg = messageOf(e);
  const notFound = /executable file `?([^`\s]+)`? not found|not found in \$PATH|No such file or directory/i.exec(msg);
  if (notFound) {
    const exe = /`([^`]+)`/.exec(msg)?.[1] ?? /exec(?:vp)? `?([^`:\s]+)/.exec(msg)?.[1] ?? '';
    return {
      error: internal(
        `failed to create task for container: failed to create shim task: OCI runtime create failed: exec: "${exe}": executable file not found in $PATH: unknown`,
      ),
      exitCode: 127,
    };
  }
  if (/permission denied/i.test(msg)) {
    return {
      error: internal(
        `failed to create task for container: failed to create shim task: OCI runtime create failed: ${msg.replace(/Permission denied/g, 'permission denied')}: unknown`,
      ),
      exitCode: 126,
    };
  }
  return { error: internal(`failed to create task for container: ${msg}`), exitCode: 128 };
}

/** An exec that could not be started: dockerd's wording (the route prefixes "OCI runtime exec failed: "). */
export function execStartFailure(e: unknown): BerthError {
  const msg = messageOf(e);
  const exe = /`([^`]+)`/.exec(msg)?.[1] ?? /exec(?:vp)? `?([^`:\s]+)/.exec(msg)?.[1];
  if (exe && /not found|No such file or directory/i.test(msg))
    return internal(`exec failed: unable to start container process: exec: "${exe}": executable file not found in $PATH: unknown`);
  return internal(`exec failed: unable to start container process: ${msg}: unknown`);
}
