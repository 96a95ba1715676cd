// ps / container ls.
import type { CliContext } from '../context.js';
import { collect, newCommand, parse, toInt } from '../flags.js';
import { ContainerContext, PS_DEFAULT, PS_HEADERS } from '../format/container-context.js';
import { renderList } from '../format/render.js';

export function filtersOf(list: string[]): Record<string, string[]> {
  const f: Record<string, string[]> = {};
  for (const s of list) {
    const i = s.indexOf('=');
    if (i < 0) throw new Error(`bad format of filter (expected name=value)`);
    (f[s.slice(0, i).trim().toLowerCase()] ??= []).push(s.slice(i + 1));
  }
  return f;
}

interface PsOpts {
  all?: boolean;
  quiet?: boolean;
  last?: number;
  latest?: boolean;
  size?: boolean;
  trunc?: boolean;
  filter: string[];
  format?: string;
}

export async function ps(ctx: CliContext, argv: string[]): Promise<number> {
  const c = newCommand(ctx, { name: 'ps', usage: '[OPTIONS]', description: 'List containers', maxArgs: 0 })
    .option('-a, --all', 'Show all containers (default shows just running)')
    .option('-q, --quiet', 'Only display container IDs')
    .option('-n, --last <int>', 'Show n last created containers (includes all states)', toInt)
    .option('-l, --latest', 'Show the latest created container (includes all states)')
    .option('-s, --size', 'Display total file sizes')
    .option('--no-trunc', "Don't truncate output")
    .option('-f, --filter <filter>', 'Filter output based on conditions provided', collect, [])
    .option('--format <string>', 'Format output using a custom template');
  const p = parse<PsOpts>(ctx, c, argv);
  if (!p) return 0;
  const o = p.opts;
  const limit = o.latest ? 1 : o.last !== undefined && o.last > 0 ? o.last : undefined;
  const format = o.quiet ? '{{.ID}}' : (o.format ?? '');
  const size = !!o.size || /\.Size\b/.test(format);
  const list = await ctx.docker.containerList({ all: o.all || limit !== undefined, limit, size, filters: filtersOf(o.filter) });
  const trunc = o.trunc !== false;
  const now = Date.now();
  const rows = list.map((x) => new ContainerContext(x, trunc, now));
  const def = o.size ? `${PS_DEFAULT}\t{{.Size}}` : PS_DEFAULT;
  ctx.out(renderList({ format, defaultFormat: def, headers: PS_HEADERS }, rows));
  return 0;
}
