// Route table lookup with Docker's version prefix: /v1.45/containers/json and /containers/json
// both reach the same handler; versions outside [MIN, MAX] get Docker's 400 messages.
import { invalidArgument } from '../../lib/errors.js';
import type { Route } from './route.js';

export const MIN_API_VERSION = '1.24';
export const MAX_API_VERSION = '1.45';

interface Compiled {
  route: Route;
  re: RegExp;
  names: string[];
}

export interface Match {
  route: Route;
  params: Record<string, string>;
  apiVersion: string;
}

export class Router {
  private readonly compiled: Compiled[] = [];

  constructor(routes: Route[]) {
    for (const route of routes) {
      const names: string[] = [];
      const pattern = route.path.replace(/[.+?^$()|[\]\\]/g, '\\$&').replace(/\{(\w+)(\*)?\}/g, (_m, name: string, rest?: string) => {
        names.push(name);
        return rest ? '(.+)' : '([^/]+)';
      });
      this.compiled.push({ route, re: new RegExp(`^${pattern}$`), names });
    }
  }

  /** Splits the version prefix off; throws Docker's errors for unsupported versions. */
  static splitVersion(pathname: string): { apiVersion: string; path: string } {
    const m = /^\/v(\d+\.\d+)(\/.*)$/.exec(pathname);
    if (!m) return { apiVersion: MAX_API_VERSION, path: pathname };
    const v = m[1]!;
    const [maj, min] = v.split('.').map(Number) as [number, number];
    const [xmaj, xmin] = MAX_API_VERSION.split('.').map(Number) as [number, number];
    const [nmaj, nmin] = MIN_API_VERSION.split('.').map(Number) as [number, number];
    if (maj > xmaj || (maj === xmaj && min > xmin))
      throw invalidArgument(`client version ${v} is too new. Maximum supported API version is ${MAX_API_VERSION}`);
    if (maj < nmaj || (maj === nmaj && min < nmin))
      throw invalidArgument(`client version ${v} is too old. Minimum supported API version is ${MIN_API_VERSION}, please upgrade your client to a newer version`);
    return { apiVersion: v, path: m[2]! };
  }

  /** A match, 'method' when the path exists under another method, or undefined. */
  match(method: string, path: string): Match | 'method' | undefined {
    let pathMatched = false;
    let fallback: Match | undefined; // HEAD served by a GET route when no HEAD route exists
    for (const c of this.compiled) {
      const m = c.re.exec(path);
      if (!m) continue;
      pathMatched = true;
      const exact = c.route.method === method;
      if (!exact && !(method === 'HEAD' && c.route.method === 'GET')) continue;
      const params: Record<string, string> = {};
      c.names.forEach((n, i) => (params[n] = decodeURIComponent(m[i + 1]!)));
      const found = { route: c.route, params, apiVersion: MAX_API_VERSION };
      if (exact) return found;
      fallback ??= found;
    }
    return fallback ?? (pathMatched ? 'method' : undefined);
  }
}
