// top (the daemon's ps table, realigned) and stats (--no-stream, --format, --all).
import type { ContainerStats } from '../../api/types/index.js';
import type { CliContext } from '../context.js';
import { newCommand, parse } from '../flags.js';
import { renderList } from '../format/render.js';
import { tabwrite } from '../format/tabwriter.js';
import { bytesSize, humanSizeWithPrecision } from '../../lib/go-units.js';

export async function top(ctx: CliContext, argv: string[]): Promise<number> {
  const p = parse(
    ctx,
    newCommand(ctx, {
      name: 'top',
      usage: 'CONTAINER [ps OPTIONS]',
      description: 'Display the running processes of a container',
      stopAtPositional: true,
      minArgs: 1,
    }),
    argv,
  );
  if (!p) return 0;
  const [id, ...psArgs] = p.args;
  const r = await ctx.docker.containerTop(id!, psArgs.length ? psArgs.join(' ') : undefined);
  const text = [r.Titles, ...r.Processes].map((row) => row.join('\t')).join('\n') + '\n';
  ctx.out(tabwrite(text, 20, 3));
  return 0;
}

export const STATS_HEADERS: Record<string, string> = {
  Container: 'CONTAINER',
  ID: 'CONTAINER ID',
  Name: 'NAME',
  CPUPerc: 'CPU %',
  MemUsage: 'MEM USAGE / LIMIT',
  MemPerc: 'MEM %',
  NetIO: 'NET I/O',
  BlockIO: 'BLOCK I/O',
  PIDs: 'PIDS',
};
const STATS_DEFAULT = 'table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}';

/** One row of `docker stats`, computed like the docker CLI does on Linux. */
export function statsRow(s: ContainerStats, container: string) {
  const cpuDelta = s.cpu_stats.cpu_usage.total_usage - (s.precpu_stats?.cpu_usage?.total_usage ?? 0);
  const sysDelta = (s.cpu_stats.system_cpu_usage ?? 0) - (s.precpu_stats?.system_cpu_usage ?? 0);
  const ncpu = s.cpu_stats.online_cpus || s.cpu_stats.cpu_usage.percpu_usage?.length || 1;
  const cpu = sysDelta > 0 && cpuDelta > 0 ? (cpuDelta / sysDelta) * ncpu * 100 : 0;
  const m = s.memory_stats ?? {};
  const cache = m.stats?.total_inactive_file ?? m.stats?.inactive_file ?? 0;
  const used = Math.max(0, (m.usage ?? 0) - (cache < (m.usage ?? 0) ? cache : 0));
  const limit = m.limit ?? 0;
  let rx = 0,
    tx = 0;
  for (const n of Object.values(s.networks ?? {})) {
    rx += n.rx_bytes;
    tx += n.tx_bytes;
  }
  let rd = 0,
    wr = 0;
  for (const e of s.blkio_stats?.io_service_bytes_recursive ?? []) {
    if (/^read$/i.test(e.op)) rd += e.value;
    else if (/^write$/i.test(e.op)) wr += e.value;
  }
  const id = (s.id ?? '').slice(0, 12);
  return {
    Container: container,
    ID: id,
    Name: (s.name ?? '').replace(/^\//, '') || '--',
    CPUPerc: `${cpu.toFixed(2)}%`,
    MemUsage: `${bytesSize(used)} / ${bytesSize(limit)}`,
    MemPerc: `${(limit ? (used / limit) * 100 : 0).toFixed(2)}%`,
    NetIO: `${humanSizeWithPrecision(rx, 3)} / ${humanSizeWithPrecision(tx, 3)}`,
    BlockIO: `${humanSizeWithPrecision(rd, 3)} / ${humanSizeWithPrecision(wr, 3)}`,
    PIDs: String(s.pids_stats?.current ?? 0),
  };
}

export async function stats(ctx: CliContext, argv: string[]): Promise<number> {
  const c = newCommand(ctx, {
    name: 'stats',
    usage: '[OPTIONS] [CONTAINER...]',
    description: 'Display a live stream of container(s) resource usage statistics',
  })
    .option('-a, --all', 'Show all containers (default shows just running)')
    .option('--no-stream', 'Disable streaming stats and only pull the first result')
    .option('--no-trunc', "Don't truncate output")
    .option('--format <string>', 'Format output using a custom template');
  const p = parse<{ all?: boolean; stream?: boolean; format?: string }>(ctx, c, argv);
  if (!p) return 0;
  const names = p.args.length ? p.args : (await ctx.docker.containerList({ all: p.opts.all })).map((x) => x.Id);
  const render = async () => {
    const rows = await Promise.all(
      names.map(async (n) => {
        for await (const s of ctx.docker.containerStats(n, { stream: false })) return statsRow(s, n);
        return undefined;
      }),
    );
    return renderList({ format: p.opts.format ?? '', defaultFormat: STATS_DEFAULT, headers: STATS_HEADERS }, rows.filter(Boolean));
  };
  if (p.opts.stream === false) {
    ctx.out(await render());
    return 0;
  }
  for (;;) {
    const text = await render();
    ctx.out(ctx.io.stdout.isTTY ? `\x1b[2J\x1b[H${text}` : text);
    await new Promise((r) => setTimeout(r, 1000));
  }
}
