// GET /images/search (`docker search`), as dockerd does it: the registry named by the term's
// first component (when it looks like a host: a dot, a port or localhost) or Docker Hub's index,
// asked at /v1/search?q=&n=, its results filtered by stars / is-official / is-automated. The
// registry's answer is untrusted input: bounded reads, a JSON shape check.
import { invalidArgument, unavailable } from '../../lib/errors.js';
import { Agents, httpRequest, readBody } from './http-request.js';
import { isInsecureHost, isLoopbackHost } from './endpoint.js';
import { searchTarget } from '../../lib/search-term.js';

export interface SearchResult {
  description: string;
  is_official: boolean;
  is_automated: boolean;
  name: string;
  star_count: number;
}

export interface SearchOptions {
  limit?: number;
  filters?: { stars?: number; isOfficial?: boolean; isAutomated?: boolean };
  insecureRegistries?: string[];
  loopbackOnly?: boolean;
  signal?: AbortSignal;
  timeoutMs?: number;
}

const MAX_BODY = 8 << 20;

export async function searchImages(term: string, o: SearchOptions = {}): Promise<SearchResult[]> {
  if (!term) throw invalidArgument('term is required');
  const { host, query } = searchTarget(term);
  const insecure = isInsecureHost(host, o.insecureRegistries);
  const url = new URL(`${insecure ? 'http' : 'https'}://${host}/v1/search`);
  url.searchParams.set('q', query);
  url.searchParams.set('n', String(o.limit && o.limit > 0 ? o.limit : 25));
  const agents = new Agents();
  try {
    let body: Buffer;
    try {
      const res = await httpRequest(
        url,
        { signal: o.signal, timeoutMs: o.timeoutMs, allowHost: (u) => !o.loopbackOnly || isLoopbackHost(u.host), headers: { Accept: 'application/json' } },
        agents,
      );
      body = await readBody(res.body, MAX_BODY, 'search results');
      if (res.status !== 200) throw new Error(`Unexpected status code ${res.status}`);
    } catch (e) {
      // dockerd answers a search it could not make with a 500 and the Go-style error text; Berth
      // keeps 500 for its own faults: the registry is unavailable (503), with the same text.
      throw unavailable((e as Error).message, e);
    }
    let parsed: { results?: unknown } | null = null;
    try {
      parsed = JSON.parse(body.toString('utf8')) as { results?: unknown } | null;
    } catch {}
    if (!parsed || !Array.isArray(parsed.results)) throw unavailable(`invalid search response from ${host}`);
    const f = o.filters ?? {};
    return parsed.results
      .filter((r): r is Record<string, unknown> => typeof r === 'object' && r !== null)
      .map((r) => ({
        description: typeof r.description === 'string' ? r.description : '',
        is_official: r.is_official === true,
        is_automated: r.is_automated === true,
        name: typeof r.name === 'string' ? r.name : '',
        star_count: typeof r.star_count === 'number' ? r.star_count : 0,
      }))
      .filter(
        (r) =>
          (f.stars === undefined || r.star_count >= f.stars) &&
          (f.isOfficial === undefined || r.is_official === f.isOfficial) &&
          (f.isAutomated === undefined || r.is_automated === f.isAutomated),
      );
  } finally {
    agents.close();
  }
}
