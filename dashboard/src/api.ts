// The dashboard's one API client: the Engine API under /api, with the session's CSRF token on
// every request (the listener checks it on state changes). The cookie is HttpOnly, so the page
// learns only whether it is logged in, from /session.
import { FetchClient } from '../../src/api/client/browser.js';

let csrf = '';

let onLoggedOut: () => void = () => {};
/** What to do when the session ends under the page (berthd restarted, idle expiry, logout elsewhere). */
export function whenLoggedOut(f: () => void): void {
  onLoggedOut = f;
}

export const api = new FetchClient({
  baseUrl: '/api',
  headers: (): Record<string, string> => (csrf ? { 'x-berth-csrf': csrf } : {}),
  fetch: async (input, init) => {
    const r = await fetch(input, init);
    if (r.status === 401) onLoggedOut();
    return r;
  },
});

/** Fetches the session's CSRF token; false when the browser is not logged in. */
export async function startSession(): Promise<boolean> {
  const r = await fetch('/session', { credentials: 'same-origin' });
  if (r.status === 401) return false;
  if (!r.ok) throw new Error(`session check failed: ${r.status}`);
  csrf = ((await r.json()) as { csrf: string }).csrf;
  return true;
}

export async function logout(): Promise<void> {
  await fetch('/logout', { method: 'POST', headers: { 'x-berth-csrf': csrf }, credentials: 'same-origin' });
  csrf = '';
}

/**
 * Compose up/down/restart: not an Engine route (compose is client code), so the listener runs
 * `berth compose` against the Engine for it; answers the command's exit code and output.
 */
export async function composeAction(
  project: string,
  action: 'up' | 'down' | 'restart',
  files: { configFiles: string[]; workingDir: string | undefined },
): Promise<{ ExitCode: number; Output: string }> {
  const r = await fetch(`/compose/${encodeURIComponent(project)}/${action}`, {
    method: 'POST',
    headers: { 'x-berth-csrf': csrf, 'content-type': 'application/json' },
    credentials: 'same-origin',
    body: JSON.stringify(files),
  });
  const body = (await r.json().catch(() => ({}))) as { ExitCode?: number; Output?: string; message?: string };
  if (!r.ok) throw new Error(body.message ?? `compose ${action} failed: ${r.status}`);
  return { ExitCode: body.ExitCode ?? 1, Output: body.Output ?? '' };
}
