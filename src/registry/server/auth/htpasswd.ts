// Accounts from an htpasswd file (Apache's format, bcrypt entries only: `htpasswd -B`), checked
// with bcryptjs. A bcrypt check costs milliseconds to a tenth of a second by design, and a
// `docker push` makes dozens of requests, so a successful check is remembered for a few
// minutes under a hash of (user, password, stored hash): nothing secret is kept in clear.
import { readFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import bcrypt from 'bcryptjs';
import { log } from '../../../lib/log.js';

const CACHE_MS = 5 * 60_000;
const MAX_CACHE = 1000;

export class Htpasswd {
  private readonly verified = new Map<string, number>();

  constructor(private readonly hashes: ReadonlyMap<string, string>) {}

  static parse(text: string): Htpasswd {
    const m = new Map<string, string>();
    for (const [i, raw] of text.split('\n').entries()) {
      const line = raw.trim();
      if (!line || line.startsWith('#')) continue;
      const colon = line.indexOf(':');
      const user = line.slice(0, colon);
      const hash = line.slice(colon + 1);
      if (colon <= 0 || !/^\$2[aby]\$\d\d\$/.test(hash)) {
        // Never log the line itself: it holds a hash.
        log.warn('htpasswd: skipping an entry that is not user:bcrypt-hash', { line: i + 1 });
        continue;
      }
      m.set(user, hash);
    }
    return new Htpasswd(m);
  }

  static async load(path: string): Promise<Htpasswd> {
    return Htpasswd.parse(await readFile(path, 'utf8'));
  }

  /** Whether the file names this user (a refresh token's account must still exist). */
  has(user: string): boolean {
    return this.hashes.has(user);
  }

  async verify(user: string, password: string): Promise<boolean> {
    const hash = this.hashes.get(user);
    if (hash === undefined) return false;
    const key = createHash('sha256').update(`${user}\0${password}\0${hash}`).digest('hex');
    const until = this.verified.get(key);
    if (until !== undefined && until > Date.now()) return true;
    if (!(await bcrypt.compare(password, hash))) return false;
    if (this.verified.size >= MAX_CACHE) this.verified.clear();
    this.verified.set(key, Date.now() + CACHE_MS);
    return true;
  }
}

/** user and password from `Authorization: Basic ...`, or undefined. */
export function basicCredentials(header: string | undefined): { user: string; password: string } | undefined {
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
  if (!m) return undefined;
  const text = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = text.indexOf(':');
  if (colon < 0) return undefined;
  return { user: text.slice(0, colon), password: text.slice(colon + 1) };
}
