// volume create / ls / inspect / rm / prune, as the docker CLI 28 prints them.
import { isApiError } from '../../api/client/errors.js';
import type { VolumeCreateRequest } from '../../api/types/index.js';
import { StatusError } from '../cli-error.js';
import type { CliContext } from '../context.js';
import { newCommand, parse } from '../flags.js';
import { naturalCompare } from '../format/natural-sort.js';
import { renderList, renderOne } from '../format/render.js';
import { VOLUME_DEFAULT, VOLUME_HEADERS, VolumeContext } from '../format/volume-network-context.js';
import { humanSize } from '../../lib/go-units.js';
import { filterArgs, filterOpt, kvMap, labelOpt, mapOpt } from '../opt-values.js';
import { confirm } from './images.js';

export async function volumeCreate(ctx: CliContext, argv: string[]): Promise<number> {
  const c = newCommand(ctx, { name: 'volume create', usage: '[OPTIONS] [VOLUME]', description: 'Create a volume', maxArgs: 1 })
    .option('-d, --driver <string>', 'Specify volume driver name', 'local')
    .option('--label <list>', 'Set metadata for a volume', labelOpt, [])
    .option('-o, --opt <map>', 'Set driver specific options', mapOpt, [])
    // docker keeps a hidden --name from before the positional argument existed
    .option('--name <string>', 'Specify volume name');
  const p = parse<{ driver: string; label: string[]; opt: string[]; name?: string }>(ctx, c, argv);
  if (!p) return 0;
  const o = p.opts;
  if (p.args[0] !== undefined && o.name !== undefined && o.name !== '')
    throw new StatusError(1, 'conflicting options: cannot specify a volume-name through both --name and as a positional arg');
  const name = p.args[0] ?? o.name ?? '';
  // the docker CLI omits empty fields (omitempty)
  const body: VolumeCreateRequest = {};
  if (o.driver) body.Driver = o.driver;
  if (o.opt.length) body.DriverOpts = kvMap(o.opt);
  if (o.label.length) body.Labels = kvMap(o.label);
  if (name) body.Name = name;
  const v = await ctx.docker.volumeCreate(body);
  ctx.out(`${v.Name}\n`);
  return 0;
}

export async function volumeLs(ctx: CliContext, argv: string[]): Promise<number> {
  const c = newCommand(ctx, { name: 'volume ls', usage: '[OPTIONS]', description: 'List volumes', maxArgs: 0 })
    .option('-q, --quiet', 'Only display volume names')
    .option('--format <string>', 'Format output using a custom template')
    .option('-f, --filter <filter>', 'Provide filter values (e.g. "dangling=true")', filterOpt, [])
    .option('--cluster', 'Display only cluster volumes, and use cluster volume list formatting');
  const p = parse<{ quiet?: boolean; format?: string; filter: string[] }>(ctx, c, argv);
  if (!p) return 0;
  const r = await ctx.docker.volumeList(filterArgs(p.opts.filter));
  const list = [...(r.Volumes ?? [])].sort((a, b) => naturalCompare(a.Name, b.Name));
  const format = p.opts.quiet ? '{{.Name}}' : (p.opts.format ?? '');
  ctx.out(
    renderList(
      { format, defaultFormat: VOLUME_DEFAULT, headers: VOLUME_HEADERS },
      list.map((v) => new VolumeContext(v)),
    ),
  );
  return 0;
}

export async function volumeInspect(ctx: CliContext, argv: string[]): Promise<number> {
  const c = newCommand(ctx, {
    name: 'volume inspect',
    usage: '[OPTIONS] VOLUME [VOLUME...]',
    description: 'Display detailed information on one or more volumes',
    minArgs: 1,
  }).option('-f, --format <string>', 'Format output using a custom template');
  const p = parse<{ format?: string }>(ctx, c, argv);
  if (!p) return 0;
  const found: unknown[] = [];
  const errors: string[] = [];
  for (const name of p.args) {
    try {
      found.push(asGoVolume(await ctx.docker.volumeInspect(name)));
    } catch (e) {
      if (!isApiError(e)) throw e;
      errors.push(`Error response from daemon: ${e.message}`);
    }
  }
  writeInspect(ctx, p.opts.format, found);
  if (errors.length) throw new StatusError(1, errors.join('\n'));
  return 0;
}

/**
 * docker decodes a volume into its Go struct and marshals that again (no raw JSON, unlike
 * network inspect): fields in the struct's order, omitempty ones dropped, map keys sorted.
 */
export function asGoVolume(v: object): Record<string, unknown> {
  const src = v as Record<string, unknown>;
  const sorted = (m: unknown) =>
    m && typeof m === 'object'
      ? Object.fromEntries(
          Object.keys(m)
            .sort()
            .map((k) => [k, (m as Record<string, unknown>)[k]]),
        )
      : null;
  const out: Record<string, unknown> = {};
  if (src.ClusterVolume) out.ClusterVolume = src.ClusterVolume;
  if (src.CreatedAt) out.CreatedAt = src.CreatedAt;
  out.Driver = src.Driver ?? '';
  out.Labels = sorted(src.Labels);
  out.Mountpoint = src.Mountpoint ?? '';
  out.Name = src.Name ?? '';
  out.Options = sorted(src.Options);
  out.Scope = src.Scope ?? '';
  if (src.Status && Object.keys(src.Status).length) out.Status = sorted(src.Status);
  if (src.UsageData) out.UsageData = src.UsageData;
  return out;
}

/** Go's json.Marshal escapes <, > and & (and U+2028/2029) inside strings. */
const goEscapeJson = (json: string) => json.replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

/** docker's inspect output: a 4-space-indented JSON array (one line for -f json), or one template line per object. */
export function writeInspect(ctx: CliContext, format: string | undefined, found: unknown[], marshal = true): void {
  const goEscape = marshal ? goEscapeJson : (s: string) => s; // raw daemon JSON (network inspect) is indented as sent
  if (format && format !== 'json') for (const r of found) ctx.out(renderOne(format, r));
  else if (format === 'json') ctx.out(`${goEscape(JSON.stringify(found))}\n`);
  else ctx.out(`${goEscape(JSON.stringify(found, null, 4))}\n`);
}

export async function volumeRm(ctx: CliContext, argv: string[]): Promise<number> {
  const c = newCommand(ctx, {
    name: 'volume rm',
    usage: '[OPTIONS] VOLUME [VOLUME...]',
    description: 'Remove one or more volumes. You cannot remove a volume that is in use by a container.',
    minArgs: 1,
  }).option('-f, --force', 'Force the removal of one or more volumes');
  const p = parse<{ force?: boolean }>(ctx, c, argv);
  if (!p) return 0;
  const errors: string[] = [];
  for (const name of p.args) {
    try {
      await ctx.docker.volumeRemove(name, p.opts.force);
    } catch (e) {
      if (!isApiError(e)) throw e;
      errors.push(`Error response from daemon: ${e.message}`);
      continue;
    }
    ctx.out(`${name}\n`);
  }
  if (errors.length) throw new StatusError(1, errors.join('\n'));
  return 0;
}

export async function volumePrune(ctx: CliContext, argv: string[]): Promise<number> {
  const c = newCommand(ctx, { name: 'volume prune', usage: '[OPTIONS]', description: 'Remove unused local volumes', maxArgs: 0 })
    .option('-a, --all', 'Remove all unused volumes, not just anonymous ones')
    .option('--filter <filter>', 'Provide filter values (e.g. "label=<label>")', filterOpt, [])
    .option('-f, --force', 'Do not prompt for confirmation');
  const p = parse<{ all?: boolean; force?: boolean; filter: string[] }>(ctx, c, argv);
  if (!p) return 0;
  const filters = filterArgs(p.opts.filter);
  if (p.opts.all) (filters.all ??= []).push('true');
  const warning = p.opts.all
    ? 'WARNING! This will remove all local volumes not used by at least one container.'
    : 'WARNING! This will remove anonymous local volumes not used by at least one container.';
  if (!p.opts.force && !(await confirm(ctx, warning))) return 0;
  const r = await ctx.docker.volumePrune(filters);
  const deleted = r.VolumesDeleted ?? [];
  let out = '';
  if (deleted.length) out = `Deleted Volumes:\n${deleted.map((n) => `${n}\n`).join('')}\n`;
  ctx.out(`${out}Total reclaimed space: ${humanSize(deleted.length ? r.SpaceReclaimed : 0)}\n`);
  return 0;
}
