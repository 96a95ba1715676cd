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
