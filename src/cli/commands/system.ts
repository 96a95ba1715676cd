// info, version, events, system df, system prune, container prune.
import type { CliContext } from '../context.js';
import { collect, newCommand, parse } from '../flags.js';
import { renderList, renderOne } from '../format/render.js';
import { timestampArg } from '../../client/units.js';
import { humanSizeWithPrecision } from '../../lib/go-units.js';
import { tabwrite } from '../format/tabwriter.js';
import { buildCacheRow, buildCacheVerbose } from '../format/build-cache.js';
import { ImageContext } from '../format/image-context.js';
import { ContainerContext } from '../format/container-context.js';
import { VERSION } from '../version.js';
import { confirm } from './images.js';
import { filtersOf } from './ps.js';

/** Templates see Go field names (APIVersion) where the JSON says ApiVersion; {{json}} keeps the JSON names. */
function goFields<T extends object>(v: T): T {
  const o = { ...v } as T & { ApiVersion?: string };
  if ('ApiVersion' in o) Object.defineProperty(o, 'APIVersion', { value: o.ApiVersion, enumerable: false });
  return o;
}

export async function version(ctx: CliContext, argv: string[]): Promise<number> {
  const c = newCommand(ctx, { name: 'version', usage: '[OPTIONS]', description: 'Show the Docker version information', maxArgs: 0 }).option(
    '-f, --format <string>',
    'Format output using a custom template',
  );
  const p = parse<{ format?: string }>(ctx, c, argv);
  if (!p) return 0;
  const client = {
    Version: VERSION,
    ApiVersion: ctx.docker.apiVersion,
    DefaultAPIVersion: ctx.docker.apiVersion,
    GoVersion: process.version,
    Os: process.platform,
    Arch: process.arch,
  };
  let server;
  let serverErr: unknown;
  try {
    server = await ctx.docker.version();
  } catch (e) {
    serverErr = e;
  }
  if (p.opts.format) {
    ctx.out(renderOne(p.opts.format, { Client: goFields(client), Server: server ? goFields(server) : null }));
    if (serverErr) throw serverErr;
    return 0;
  }
  ctx.out(
    `Client:\n Version:           ${client.Version}\n API version:       ${client.ApiVersion}\n Node version:      ${client.GoVersion}\n OS/Arch:           ${client.Os}/${client.Arch}\n`,
  );
  if (serverErr) {
    ctx.out('\n');
    throw serverErr;
  }
  ctx.out(
    `\nServer: ${server!.Platform?.Name ?? ''}\n Engine:\n  Version:          ${server!.Version}\n  API version:      ${server!.ApiVersion} (minimum version ${server!.MinAPIVersion ?? ''})\n  Git commit:       ${server!.GitCommit}\n  OS/Arch:          ${server!.Os}/${server!.Arch}\n`,
  );
  return 0;
}

export async function info(ctx: CliContext, argv: string[]): Promise<number> {
  const c = newCommand(ctx, { name: 'info', usage: '[OPTIONS]', description: 'Display system-wide information', maxArgs: 0 }).option(
    '-f, --format <string>',
    'Format output using a custom template',
  );
  const p = parse<{ format?: string }>(ctx, c, argv);
  if (!p) return 0;
  const i = await ctx.docker.info();
  if (p.opts.format) {
    ctx.out(renderOne(p.opts.format, i));
    return 0;
  }
  const lines = [
    'Client:',
    ` Version:    ${VERSION}`,
    ` Context:    default`,
    ' Debug Mode: false',
    '',
    'Server:',
    ` Containers: ${i.Containers}`,
    `  Running: ${i.ContainersRunning}`,
    `  Paused: ${i.ContainersPaused}`,
    `  Stopped: ${i.ContainersStopped}`,
    ` Images: ${i.Images}`,
    ` Server Version: ${i.ServerVersion}`,
    ` Storage Driver: ${i.Driver}`,
    ...(i.DriverStatus ?? []).map(([k, v]) => `  ${k}: ${v}`),
    ` Logging Driver: ${i.LoggingDriver}`,
    ` Cgroup Driver: ${i.CgroupDriver}`,
    ` Cgroup Version: ${i.CgroupVersion}`,
    ` Runtimes: ${Object.keys(i.Runtimes ?? {}).join(' ')}`,
    ` Default Runtime: ${i.DefaultRuntime}`,
    ` Init Binary: ${i.InitBinary}`,
    ' Security Options:',
    ...(i.SecurityOptions ?? []).map((s) => `  ${s.replace(/^name=/, '')}`),
    ` Kernel Version: ${i.KernelVersion}`,
    ` Operating System: ${i.OperatingSystem}`,
    ` OSType: ${i.OSType}`,
    ` Architecture: ${i.Architecture}`,
    ` CPUs: ${i.NCPU}`,
    ` Total Memory: ${(i.MemTotal / 1024 ** 3).toFixed(2)}GiB`,
    ` Name: ${i.Name}`,
    ` ID: ${i.ID}`,
    ` Docker Root Dir: ${i.DockerRootDir}`,
    ` Debug Mode: ${i.Debug}`,
    ` Experimental: ${i.ExperimentalBuild}`,
    ` Live Restore Enabled: ${i.LiveRestoreEnabled}`,
    '',
  ];
  ctx.out(lines.join('\n'));
  for (const w of i.Warnings ?? []) ctx.err(`${w}\n`);
  return 0;
}

/**
 * `events` alone streams from "now". docker's Go binary asks within milliseconds of being run; a
 * Node CLI takes far longer to start, and a tool that runs `events --filter event=start` beside
 * the `run` whose start it waits for (the Dev Containers CLI does) could miss the event and wait
 * forever. So on a local socket (one clock for both sides) "now" is when the command was run:
 * the daemon replays what happened since this process started, then streams.
 */
function sinceLaunch(host: string): string | undefined {
  if (!host.startsWith('unix://') && !host.startsWith('/')) return undefined;
  const ms = Math.floor(performance.timeOrigin);
  return `${Math.floor(ms / 1000)}.${String((ms % 1000) * 1_000_000).padStart(9, '0')}`;
}

export async function events(ctx: CliContext, argv: string[]): Promise<number> {
  const c = newCommand(ctx, { name: 'events', usage: '[OPTIONS]', description: 'Get real time events from the server', maxArgs: 0 })
    .option('--since <string>', 'Show all events created since timestamp')
    .option('--until <string>', 'Stream events until this timestamp')
    .option('-f, --filter <filter>', 'Filter output based on conditions provided', collect, [])
    .option('--format <string>', 'Format output using a custom template');
  const p = parse<{ since?: string; until?: string; filter: string[]; format?: string }>(ctx, c, argv);
  if (!p) return 0;
  const o = p.opts;
  const stream = ctx.docker.events({
    since: o.since ? timestampArg(o.since) : o.until ? undefined : sinceLaunch(ctx.host),
    until: o.until ? timestampArg(o.until) : undefined,
    filters: filtersOf(o.filter),
  });
  for await (const raw of stream) {
    // Go marshals Attributes (a map) with sorted keys, and timeNano is an exact int64
    const nano = BigInt((raw as { timeNanoExact?: string }).timeNanoExact ?? Math.round(raw.timeNano));
    const sorted = Object.fromEntries(
      Object.keys(raw.Actor?.Attributes ?? {})
        .sort()
        .map((k) => [k, raw.Actor.Attributes[k]]),
    );
    const e = { ...raw, Actor: { ...raw.Actor, Attributes: sorted }, timeNano: nano };
    // templates see Go's field names (.TimeNano, .ID, …); {{json .}} keeps the wire names
    const r = raw as unknown as Record<string, unknown>;
    for (const [go, wire] of [
      ['Status', 'status'],
      ['ID', 'id'],
      ['From', 'from'],
      ['Scope', 'scope'],
      ['Time', 'time'],
    ] as const)
      Object.defineProperty(e, go, { value: r[wire], enumerable: false });
    Object.defineProperty(e, 'TimeNano', { value: nano, enumerable: false });
    if (o.format) {
      ctx.out(renderOne(o.format, e));
      continue;
    }
    const t = new Date(Number(nano / 1_000_000n)).toISOString().replace(/\.\d{3}Z$/, '') + `.${String(nano % 1_000_000_000n).padStart(9, '0')}Z`;
    const attrs = Object.keys(sorted)
      .map((k) => `${k}=${sorted[k]}`)
      .join(', ');
    ctx.out(`${t} ${e.Type} ${e.Action} ${e.Actor.ID}${attrs ? ` (${attrs})` : ''}\n`);
  }
  return 0;
}

export async function df(ctx: CliContext, argv: string[]): Promise<number> {
  const c = newCommand(ctx, { name: 'system df', usage: '[OPTIONS]', description: 'Show docker disk usage', maxArgs: 0 })
    .option('-v, --verbose', 'Show detailed information on space usage')
    .option('--format <string>', 'Format output using a custom template');
  const p = parse<{ verbose?: boolean; format?: string }>(ctx, c, argv);
  if (!p) return 0;
  const d = await ctx.docker.df();
  const imgs = d.Images ?? [];
  const cts = d.Containers ?? [];
  const vols = d.Volumes ?? [];
  const imgActive = imgs.filter((i) => i.Containers > 0).length;
  const imgSize = d.LayersSize ?? imgs.reduce((a, i) => a + i.Size - Math.max(0, i.SharedSize), 0);
  // As the docker CLI: what images in use hold uniquely is not reclaimable; the rest of the layers is.
  const imgReclaim = imgSize - imgs.filter((i) => i.Containers > 0 && i.Size !== -1 && i.SharedSize !== -1).reduce((a, i) => a + i.Size - i.SharedSize, 0);
  const ctActive = (x: { State?: string }) => x.State === 'running' || x.State === 'paused' || x.State === 'restarting';
  const ctSize = cts.reduce((a, x) => a + (x.SizeRw ?? 0), 0);
  const ctReclaim = cts.filter((x) => !ctActive(x)).reduce((a, x) => a + (x.SizeRw ?? 0), 0);
  const volSize = vols.reduce((a, v) => a + Math.max(0, v.UsageData?.Size ?? 0), 0);
  const volReclaim = vols.filter((v) => (v.UsageData?.RefCount ?? 0) === 0).reduce((a, v) => a + Math.max(0, v.UsageData?.Size ?? 0), 0);
  const bc = d.BuildCache ?? [];
  // The summary uses go-units HumanSize (4 digits) and Go's integer percentage, as the docker CLI.
  const hs = (n: number) => humanSizeWithPrecision(n, 4);
  const pct = (r: number, t: number) => (t > 0 ? ` (${Math.trunc((r * 100) / t)}%)` : '');
  const rows = [
    {
      Type: 'Images',
      TotalCount: String(imgs.length),
      Active: String(imgActive),
      Size: hs(imgSize),
      Reclaimable: `${hs(imgReclaim)}${pct(imgReclaim, imgSize)}`,
    },
    {
      Type: 'Containers',
      TotalCount: String(cts.length),
      Active: String(cts.filter(ctActive).length),
      Size: hs(ctSize),
      Reclaimable: `${hs(ctReclaim)}${pct(ctReclaim, ctSize)}`,
    },
    {
      Type: 'Local Volumes',
      TotalCount: String(vols.length),
      Active: String(vols.filter((v) => (v.UsageData?.RefCount ?? 0) > 0).length),
      Size: hs(volSize),
      Reclaimable: `${hs(volReclaim)}${pct(volReclaim, volSize)}`,
    },
    buildCacheRow(bc),
  ];
  // -v prints the per-object sections instead of the summary (docker's verboseWriteTable).
  if (!p.opts.verbose) {
    ctx.out(
      renderList(
        {
          format: p.opts.format ?? '',
          defaultFormat: 'table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}',
          headers: { Type: 'TYPE', TotalCount: 'TOTAL', Active: 'ACTIVE', Size: 'SIZE', Reclaimable: 'RECLAIMABLE' },
        },
        rows,
      ),
    );
    return 0;
  }
  const now = Date.now();
  const imageLines = imgs.map((i) => {
    const tag = (i.RepoTags ?? []).find((t) => t !== '<none>:<none>');
    const c = tag ? tag.lastIndexOf(':') : -1;
    const x = new ImageContext(i, tag ? tag.slice(0, c) : '<none>', tag ? tag.slice(c + 1) : '<none>', '', true, now);
    return [x.Repository, x.Tag, x.ID, x.CreatedSince, x.Size, x.SharedSize, x.UniqueSize, x.Containers].join('\t');
  });
  ctx.out(
    `Images space usage:\n\n${tabwrite(['REPOSITORY\tTAG\tIMAGE ID\tCREATED\tSIZE\tSHARED SIZE\tUNIQUE SIZE\tCONTAINERS', ...imageLines].join('\n') + '\n')}`,
  );
  const containerLines = cts.map((c) => {
    const x = new ContainerContext({ ...c, SizeRootFs: 0 }, true, now);
    return [x.ID, x.Image, x.Command, x.LocalVolumes, x.Size, x.RunningFor, x.Status, x.Names].join('\t');
  });
  ctx.out(
    `\nContainers space usage:\n\n${tabwrite(['CONTAINER ID\tIMAGE\tCOMMAND\tLOCAL VOLUMES\tSIZE\tCREATED\tSTATUS\tNAMES', ...containerLines].join('\n') + '\n')}`,
  );
  ctx.out(
    `\nLocal Volumes space usage:\n\n${tabwrite(['VOLUME NAME\tLINKS\tSIZE', ...vols.map((v) => `${v.Name}\t${v.UsageData?.RefCount ?? 0}\t${humanSizeWithPrecision(Math.max(0, v.UsageData?.Size ?? 0), 3)}`)].join('\n') + '\n')}`,
  );
  ctx.out(buildCacheVerbose(bc, now));
  return 0;
}

export async function containerPrune(ctx: CliContext, argv: string[]): Promise<number> {
  const c = newCommand(ctx, { name: 'container prune', usage: '[OPTIONS]', description: 'Remove all stopped containers', maxArgs: 0 })
    .option('-f, --force', 'Do not prompt for confirmation')
    .option('--filter <filter>', 'Provide filter values (e.g. "until=<timestamp>")', collect, []);
  const p = parse<{ force?: boolean; filter: string[] }>(ctx, c, argv);
  if (!p) return 0;
  if (!p.opts.force && !(await confirm(ctx, 'WARNING! This will remove all stopped containers.'))) return 0;
  const r = await ctx.docker.containerPrune(filtersOf(p.opts.filter));
  if (r.ContainersDeleted?.length) ctx.out(`Deleted Containers:\n${r.ContainersDeleted.join('\n')}\n\n`);
  ctx.out(`Total reclaimed space: ${humanSizeWithPrecision(r.SpaceReclaimed, 3)}\n`);
  return 0;
}

export async function systemPrune(ctx: CliContext, argv: string[]): Promise<number> {
  const c = newCommand(ctx, { name: 'system prune', usage: '[OPTIONS]', description: 'Remove unused data', maxArgs: 0 })
    .option('-a, --all', 'Remove all unused images not just dangling ones')
    .option('-f, --force', 'Do not prompt for confirmation')
    .option('--volumes', 'Prune anonymous volumes')
    .option('--filter <filter>', 'Provide filter values (e.g. "label=<key>=<value>")', collect, []);
  const p = parse<{ all?: boolean; force?: boolean; volumes?: boolean; filter: string[] }>(ctx, c, argv);
  if (!p) return 0;
  const warn = [
    'WARNING! This will remove:',
    '  - all stopped containers',
    ...(p.opts.volumes ? ['  - all anonymous volumes not used by at least one container'] : []),
    p.opts.all ? '  - all images without at least one container associated to them' : '  - all dangling images',
    '  - unused build cache',
    '',
  ].join('\n');
  if (!p.opts.force && !(await confirm(ctx, warn))) return 0;
  const filters = filtersOf(p.opts.filter);
  const docker = ctx.docker;
  let total = 0;
  const cr = await docker.containerPrune(filters);
  total += cr.SpaceReclaimed;
  if (cr.ContainersDeleted?.length) ctx.out(`Deleted Containers:\n${cr.ContainersDeleted.join('\n')}\n\n`);
  if (p.opts.volumes) {
    const vr = await docker.json<{ VolumesDeleted: string[] | null; SpaceReclaimed: number }>('POST', '/volumes/prune', {
      query: { filters: Object.keys(filters).length ? JSON.stringify(filters) : undefined },
    });
    total += vr.SpaceReclaimed;
    if (vr.VolumesDeleted?.length) ctx.out(`Deleted Volumes:\n${vr.VolumesDeleted.join('\n')}\n\n`);
  }
  const ir = await docker.imagePrune({ ...filters, dangling: [p.opts.all ? 'false' : 'true'] });
  total += ir.SpaceReclaimed;
  if (ir.ImagesDeleted?.length)
    ctx.out(`Deleted Images:\n${ir.ImagesDeleted.map((d) => (d.Untagged ? `untagged: ${d.Untagged}` : `deleted: ${d.Deleted}`)).join('\n')}\n\n`);
  ctx.out(`Total reclaimed space: ${humanSizeWithPrecision(total, 3)}\n`);
  return 0;
}

/** `berth system check`: Berth's (Podman's `system check`; Docker has none). Exits 1 while damage remains. */
export async function systemCheck(ctx: CliContext, argv: string[]): Promise<number> {
  const c = newCommand(ctx, { name: 'system check', usage: '[OPTIONS]', description: 'Check the consistency of image and container storage', maxArgs: 0 })
    .option('-r, --repair', 'Move damaged blobs, layers and stopped containers aside (under the data root) and remove the images that used them')
    .option('--full', 'Also decompress every stored layer blob and check it against its diffID (slow)')
    .option('--format <string>', 'Format output using a custom template');
  const p = parse<{ repair?: boolean; full?: boolean; format?: string }>(ctx, c, argv);
  if (!p) return 0;
  const r = await ctx.docker.systemCheck({ repair: !!p.opts.repair, full: !!p.opts.full });
  const left = r.Problems.filter((x) => !r.Repaired || x.LeftBecause);
  if (p.opts.format) {
    ctx.out(renderOne(p.opts.format, r));
    return left.length ? 1 : 0;
  }
  const k = r.Checked;
  ctx.out(`Checked ${k.Blobs} blobs, ${k.Layers} layers, ${k.Images} images and ${k.Containers} containers.\n`);
  if (!r.Problems.length) {
    ctx.out('No damage found.\n');
    return 0;
  }
  const done: Record<string, string> = { quarantine: 'quarantined', remove: 'removed', 'forget-blobs': 'blobs forgotten', none: 'left alone' };
  const todo: Record<string, string> = { quarantine: 'quarantine', remove: 'remove', 'forget-blobs': 'forget blobs', none: 'none' };
  const rows = r.Problems.map((x) => {
    const action = x.LeftBecause ? `left alone: ${x.LeftBecause}` : r.Repaired ? done[x.Action] : `would ${todo[x.Action]}`;
    return [x.Type, x.Type === 'container' ? x.ID.slice(0, 12) : x.ID, x.Name ?? '', x.Problem, action].join('\t');
  });
  ctx.out(tabwrite(['TYPE\tID\tNAME\tPROBLEM\tACTION', ...rows].join('\n') + '\n'));
  if (r.Quarantine) ctx.out(`Damaged objects were moved to ${r.Quarantine}\n`);
  if (!r.Repaired) ctx.out(`${r.Problems.length} problem(s) found; run 'berth system check --repair' to repair them.\n`);
  return left.length ? 1 : 0;
}
