// Who may use the dashboard: one-time login tokens (minted over the Engine API's unix socket,
// so only someone who can already drive berthd gets one) exchanged for a session cookie, and a
// CSRF token per session. Everything lives in memory: a restart of berthd logs every browser
// out, which is the safe default for a root-equivalent control panel.
import { randomBytes, timingSafeEqual } from 'node:crypto';

/** A browser's logged-in state; `csrf` must come back in a header on every state change. */
export interface Session {
  id: string;
  csrf: string;
  lastUsed: number;
}

export interface DashboardAuthOptions {
  /** How long a login token stays valid (default 5 minutes: it is printed for a human to click). */
  tokenTtlMs?: number;
  /** A session unused for this long is gone (default 12 hours). */
  sessionIdleMs?: number;
  /** Bounds memory whatever a client does: the oldest entries give way (default 16 tokens, 64 sessions). */
  maxTokens?: number;
  maxSessions?: number;
  now?: () => number;
}

export const SESSION_COOKIE = 'berth_session';
export const CSRF_HEADER = 'x-berth-csrf';

const random = () => randomBytes(32).toString('base64url');

export class DashboardAuth {
  private readonly tokens = new Map<string, number>(); // token -> expiry
  private readonly sessions = new Map<string, Session>();
  readonly tokenTtlMs: number;
  private readonly idle: number;
  private readonly maxTokens: number;
  private readonly maxSessions: number;
  private readonly now: () => number;

  constructor(o: DashboardAuthOptions = {}) {
    this.tokenTtlMs = o.tokenTtlMs ?? 5 * 60_000;
    this.idle = o.sessionIdleMs ?? 12 * 3600_000;
    this.maxTokens = o.maxTokens ?? 16;
    this.maxSessions = o.maxSessions ?? 64;
    this.now = o.now ?? Date.now;
  }

  /** A fresh single-use login token. */
  issueToken(): string {
    this.sweep();
    const token = random();
    this.tokens.set(token, this.now() + this.tokenTtlMs);
    evictOldest(this.tokens, this.maxTokens);
    return token;
  }

  /** Spends a login token: a new session, or undefined for an unknown, used or expired token. */
  login(token: string): Session | undefined {
    this.sweep();
    const expiry = this.tokens.get(token);
    if (expiry === undefined) return undefined;
    this.tokens.delete(token); // single use, even when the exchange fails later
    if (expiry < this.now()) return undefined;
    const s: Session = { id: random(), csrf: random(), lastUsed: this.now() };
    this.sessions.set(s.id, s);
    evictOldest(this.sessions, this.maxSessions);
    return s;
  }

  /** The session a request's Cookie header names, if it is live (and marks it used). */
  session(cookieHeader: string | undefined): Session | undefined {
    const id = cookieValue(cookieHeader, SESSION_COOKIE);
    if (!id) return undefined;
    const s = this.sessions.get(id);
    if (!s) return undefined;
    if (s.lastUsed + this.idle < this.now()) {
      this.sessions.delete(id);
      return undefined;
    }
    s.lastUsed = this.now();
    return s;
  }

  logout(id: string): void {
    this.sessions.delete(id);
  }

  /** Compares in constant time: the header's value must not be guessable byte by byte. */
  static csrfMatches(s: Session, header: string | string[] | undefined): boolean {
    if (typeof header !== 'string') return false;
    const a = Buffer.from(header);
    const b = Buffer.from(s.csrf);
    return a.length === b.length && timingSafeEqual(a, b);
  }

  private sweep(): void {
    const now = this.now();
    for (const [t, exp] of this.tokens) if (exp < now) this.tokens.delete(t);
    for (const [id, s] of this.sessions) if (s.lastUsed + this.idle < now) this.sessions.delete(id);
  }
}

/** Maps keep insertion order, so the first keys are the oldest. */
function evictOldest<K, V>(m: Map<K, V>, max: number): void {
  for (const k of m.keys()) {
    if (m.size <= max) return;
    m.delete(k);
  }
}

export function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** The Set-Cookie of a new session: no Max-Age (gone with the browser), HttpOnly, SameSite=Strict. */
export function sessionCookie(s: Session, secure: boolean): string {
  return `${SESSION_COOKIE}=${s.id}; Path=/; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`;
}
