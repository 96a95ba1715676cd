// Route table lookup: `{id}` is one path segment, `{name*}` the rest (slashes included); a
// HEAD request is served by the GET route of its path when there is no HEAD route.
import { invalidArgument } from '../errors.js';
import type { RequestContext, Route } from './route.js';

interface Compiled<C extends RequestContext> {
  route: Route<C>;
  re: RegExp;
  names: string[];
}

export interface Match<C extends RequestContext> {
  route: Route<C>;
  params: Record<string, string>;
}

export class Router<C extends RequestContext> {
  private readonly compiled: Compiled<C>[] = [];

  constructor(routes: readonly Route<C>[]) {
    for (const route of routes) {
      const names: string[] = [];
      const pattern = route.path.replace(/[.+?^$()|[\]\\]/g, '\\$&').replace(/\{(\w+)(\*)?\}/g, (_m, name: string, rest?: string) => {
        names.push(name);
        return rest ? '(.+)' : '([^/]+)';
      });
      this.compiled.push({ route, re: new RegExp(`^${pattern}$`), names });
    }
  }

  /** A match, 'method' when the path exists under another method, or undefined. */
  match(method: string, path: string): Match<C> | 'method' | undefined {
    let pathMatched = false;
    let fallback: Match<C> | undefined; // HEAD served by a GET route when no HEAD route exists
    for (const c of this.compiled) {
      const m = c.re.exec(path);
      if (!m) continue;
      pathMatched = true;
      const exact = c.route.method === method;
      if (!exact && !(method === 'HEAD' && c.route.method === 'GET')) continue;
      const params: Record<string, string> = {};
      c.names.forEach((n, i) => (params[n] = decodeParam(m[i + 1]!)));
      const found = { route: c.route, params };
      if (exact) return found;
      fallback ??= found;
    }
    return fallback ?? (pathMatched ? 'method' : undefined);
  }
}

/** A path segment's value; a malformed escape (%FF, a lone %) is the client's error, as Go's net/url says. */
function decodeParam(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw invalidArgument(`invalid URL escape in ${JSON.stringify(s.slice(0, 100))}`);
  }
}
