// diff (the container's changes to its image's files) and export (its filesystem as a tar).
import { pipeline } from 'node:stream/promises';
import { copyToFile } from '../output-file.js';
import { StatusError } from '../cli-error.js';
import type { CliContext } from '../context.js';
import { newCommand, parse } from '../flags.js';

const KIND = ['C', 'A', 'D'] as const;

export async function diff(ctx: CliContext, argv: string[]): Promise<number> {
  const p = parse(
    ctx,
    newCommand(ctx, { name: 'diff', usage: 'CONTAINER', description: "Inspect changes to files or directories on a container's filesystem", exactArgs: 1 }),
    argv,
  );
  if (!p) return 0;
  for (const c of (await ctx.docker.containerChanges(p.args[0]!)) ?? []) ctx.out(`${KIND[c.Kind]} ${c.Path}\n`);
  return 0;
}

export async function exportContainer(ctx: CliContext, argv: string[]): Promise<number> {
  const c = newCommand(ctx, {
    name: 'export',
    usage: '[OPTIONS] CONTAINER',
    description: "Export a container's filesystem as a tar archive",
    exactArgs: 1,
  }).option('-o, --output <string>', 'Write to a file, instead of STDOUT');
  const p = parse<{ output?: string }>(ctx, c, argv);
  if (!p) return 0;
  // As docker: checked before the request, so nothing is exported to a terminal.
  if (!p.opts.output && ctx.io.stdout.isTTY) throw new StatusError(1, 'cowardly refusing to save to a terminal. Use the -o flag or redirect');
  const res = await ctx.docker.containerExport(p.args[0]!);
  if (p.opts.output) await copyToFile(res, p.opts.output);
  else await pipeline(res, ctx.io.stdout);
  return 0;
}
