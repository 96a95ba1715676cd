// Which registry a `docker search` term asks, as dockerd's ParseSearchIndexInfo: "host[:port]/q"
// names a registry (a first part with '.' or ':', or localhost), anything else is Docker Hub's
// index. Shared by berthd (where to send /v1/search) and the CLI (whose login to send).
export const INDEX_HOST = 'index.docker.io';

/** The index to ask and the query to send it (docker.io/x and x ask Docker Hub for x). */
export function searchTarget(term: string): { host: string; query: string } {
  const i = term.indexOf('/');
  const first = i < 0 ? '' : term.slice(0, i);
  if (first && (first.includes('.') || first.includes(':') || first === 'localhost')) {
    if (first === 'docker.io' || first === INDEX_HOST) return { host: INDEX_HOST, query: term.slice(i + 1) };
    return { host: first, query: term.slice(i + 1) };
  }
  return { host: INDEX_HOST, query: term };
}
