// The one "needs root" check for tests: real crun, overlayfs, bridges and namespaces need it.
// Use it as a test's `skip` option, so a non-root run says why instead of failing.

/** False when running as root; otherwise the reason to skip, naming what the test needs. */
export function requiresRoot(what?: string): string | false {
  return process.getuid?.() === 0 ? false : `needs root${what ? ` (${what})` : ''}`;
}
