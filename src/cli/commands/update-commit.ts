// update (resources and restart policy of running containers) and commit.
import type { HostConfig } from '../../api/types/index.js';
import type { CliContext } from '../context.js';
import { collect, newCommand, parse, toInt } from '../flags.js';
import { parseRestart } from '../../client/flag-values.js';
import { ramInBytes } from '../../lib/go-units.js';
import { eachContainer } from './lifecycle.js';
import { splitRepoTag } from '../../lib/reference.js';

interface UpdateOpts {
  memory?: string;
  memorySwap?: string;
  memoryReservation?: string;
  cpus?: string;
  cpuShares?: number;
  cpusetCpus?: string;
  pidsLimit?: number;
  restart?: string;
  cpuPeriod?: number;
  cpuQuota?: number;
}

export async function update(ctx: CliContext, argv: string[]): Promise<number> {
  const c = newCommand(ctx, {
    name: 'update',
    usage: '[OPTIONS] CONTAINER [CONTAINER...]',
    description: 'Update configuration of one or more containers',
    minArgs: 1,
  })
    .option('-m, --memory <bytes>', 'Memory limit')
    .option('--memory-swap <bytes>', 'Swap limit equal to memory plus swap: -1 to enable unlimited swap')
    .option('--memory-reservation <bytes>', 'Memory soft limit')
    .option('--cpus <decimal>', 'Number of CPUs')
    .option('-c, --cpu-shares <int>', 'CPU shares (relative weight)', toInt)
    .option('--cpu-period <int>', 'Limit CPU CFS period', toInt)
    .option('--cpu-quota <int>', 'Limit CPU CFS quota', toInt)
    .option('--cpuset-cpus <string>', 'CPUs in which to allow execution (0-3, 0,1)')
    .option('--pids-limit <int>', 'Tune container pids limit (set -1 for unlimited)', toInt)
    .option('--restart <string>', 'Restart policy to apply when a container exits');
  const p = parse<UpdateOpts>(ctx, c, argv);
  if (!p) return 0;
  const o = p.opts;
  const body: HostConfig = {};
  if (o.memory) body.Memory = ramInBytes(o.memory);
  if (o.memorySwap) body.MemorySwap = o.memorySwap === '-1' ? -1 : ramInBytes(o.memorySwap);
  if (o.memoryReservation) body.MemoryReservation = ramInBytes(o.memoryReservation);
  if (o.cpus) body.NanoCpus = Math.round(Number(o.cpus) * 1e9);
  if (o.cpuShares !== undefined) body.CpuShares = o.cpuShares;
  if (o.cpuPeriod !== undefined) body.CpuPeriod = o.cpuPeriod;
  if (o.cpuQuota !== undefined) body.CpuQuota = o.cpuQuota;
  if (o.cpusetCpus) body.CpusetCpus = o.cpusetCpus;
  if (o.pidsLimit !== undefined) body.PidsLimit = o.pidsLimit;
  if (o.restart) body.RestartPolicy = parseRestart(o.restart);
  return eachContainer(ctx, p.args, async (id) => {
    const r = await ctx.docker.containerUpdate(id, body);
    for (const w of r?.Warnings ?? []) ctx.err(`WARNING: ${w}\n`);
    return id;
  });
}

export async function commit(ctx: CliContext, argv: string[]): Promise<number> {
  const c = newCommand(ctx, {
    name: 'commit',
    usage: '[OPTIONS] CONTAINER [REPOSITORY[:TAG]]',
    description: "Create a new image from a container's changes",
    minArgs: 1,
    maxArgs: 2,
  })
    .option('-a, --author <string>', 'Author (e.g., "John Hannibal Smith <hannibal@a-team.com>")')
    .option('-c, --change <list>', 'Apply Dockerfile instruction to the created image', collect, [])
    .option('-m, --message <string>', 'Commit message')
    .option('-p, --pause [bool]', 'Pause container during commit', (v: string) => v !== 'false', true);
  const p = parse<{ author?: string; change: string[]; message?: string; pause: boolean }>(ctx, c, argv);
  if (!p) return 0;
  const [id, ref] = p.args;
  const { repo, tag } = splitRepoTag(ref);
  const r = await ctx.docker.containerCommit(id!, { repo, tag, comment: p.opts.message, author: p.opts.author, pause: p.opts.pause, changes: p.opts.change });
  ctx.out(`${r.Id}\n`);
  return 0;
}
