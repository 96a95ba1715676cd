// search: berthd asks the term's registry (GET /images/search), printed as the docker CLI 28 does.
import type { ImageSearchResult } from '../../api/types/index.js';
import { registryAuthHeader } from '../../client/registry-auth.js';
import type { CliContext } from '../context.js';
import { newCommand, parse, toInt } from '../flags.js';
import { ellipsis } from '../format/ellipsis.js';
import { renderList } from '../format/render.js';
import { filterArgs, filterOpt } from '../opt-values.js';
import { INDEX_HOST, searchTarget } from '../../lib/search-term.js';

/** The registry whose login goes with the search (Docker Hub's is filed as docker.io). */
const loginKey = (term: string) => {
  const { host } = searchTarget(term);
  return host === INDEX_HOST ? 'docker.io' : host;
};

export const SEARCH_HEADERS: Record<string, string> = {
  Name: 'NAME',
  Description: 'DESCRIPTION',
  StarCount: 'STARS',
  IsOfficial: 'OFFICIAL',
};
export const SEARCH_DEFAULT = 'table {{.Name}}\t{{.Description}}\t{{.StarCount}}\t{{.IsOfficial}}';

/** docker 28's searchContext (no IsAutomated any more): the description on one line, cut to 45 characters unless --no-trunc. */
export class SearchContext {
  constructor(
    private readonly r: ImageSearchResult,
    private readonly trunc: boolean,
  ) {}
  get Name(): string {
    return this.r.name;
  }
  get Description(): string {
    const d = (this.r.description ?? '').replaceAll('\n', ' ').replaceAll('\r', ' ');
    return this.trunc ? ellipsis(d, 45) : d;
  }
  get StarCount(): string {
    return String(this.r.star_count ?? 0);
  }
  get IsOfficial(): string {
    return this.r.is_official ? '[OK]' : '';
  }
  /** `--format json` shows IsOfficial as "true"/"false", not the table's "[OK]". */
  toJSON(): Record<string, string> {
    return { Description: this.Description, IsOfficial: String(!!this.r.is_official), Name: this.Name, StarCount: this.StarCount };
  }
}

export async function search(ctx: CliContext, argv: string[]): Promise<number> {
  const c = newCommand(ctx, { name: 'search', usage: '[OPTIONS] TERM', description: 'Search Docker Hub for images', exactArgs: 1 })
    .option('-f, --filter <filter>', 'Filter output based on conditions provided', filterOpt, [])
    .option('--format <string>', 'Pretty-print search using a Go template')
    .option('--limit <int>', 'Max number of search results', toInt)
    .option('--no-trunc', "Don't truncate output");
  const p = parse<{ filter: string[]; format?: string; limit?: number; trunc?: boolean }>(ctx, c, argv);
  if (!p) return 0;
  const term = p.args[0]!;
  const filters = filterArgs(p.opts.filter);
  // the docker CLI 28 warns whenever the filter is given, whatever its value
  if (filters['is-automated'])
    ctx.err('WARNING: the "is-automated" filter is deprecated, and searching for "is-automated=true" will not yield any results in future.\n');
  const auth = await registryAuthHeader(loginKey(term), ctx.env); // what `berth login` stored
  const rows = await ctx.docker.imageSearch(term, { limit: p.opts.limit, filters, registryAuth: auth });
  const trunc = p.opts.trunc !== false;
  ctx.out(
    renderList(
      { format: p.opts.format ?? '', defaultFormat: SEARCH_DEFAULT, headers: SEARCH_HEADERS },
      rows.map((r) => new SearchContext(r, trunc)),
    ),
  );
  return 0;
}
