// images, history, tag, rmi, image prune.
import { StatusError } from '../cli-error.js';
import type { CliContext } from '../context.js';
import { collect, newCommand, parse } from '../flags.js';
import { checkAnyReference, checkNormalizedNamed } from '../../client/reference.js';
import { HISTORY_DEFAULT, HISTORY_HEADERS, HistoryContext, IMAGES_HEADERS, imageRows, imagesDefault } from '../format/image-context.js';
import { renderList } from '../format/render.js';
import { renderTree, treeView } from '../format/image-tree.js';
import { humanSizeWithPrecision } from '../../lib/go-units.js';
import { filtersOf } from './ps.js';
import { splitRepoTag } from '../../lib/reference.js';

interface ImagesOpts {
  all?: boolean;
  quiet?: boolean;
  digests?: boolean;
  trunc?: boolean;
  filter: string[];
  format?: string;
  tree?: boolean;
}

export async function images(ctx: CliContext, argv: string[]): Promise<number> {
  const c = newCommand(ctx, { name: 'images', usage: '[OPTIONS] [REPOSITORY[:TAG]]', description: 'List images', maxArgs: 1 })
    .option('-a, --all', 'Show all images (default hides intermediate images)')
    .option('-q, --quiet', 'Only show image IDs')
    .option('--digests', 'Show digests')
    .option('--no-trunc', "Don't truncate output")
    .option('-f, --filter <filter>', 'Filter output based on conditions provided', collect, [])
    .option('--format <string>', 'Format output using a custom template')
    .option('--tree', 'List multi-platform images as a tree (EXPERIMENTAL)');
  const p = parse<ImagesOpts>(ctx, c, argv);
  if (!p) return 0;
  const o = p.opts;
  const filters = filtersOf(o.filter);
  if (p.args[0]) (filters.reference ??= []).push(p.args[0]);
  if (o.tree) {
    // docker 28's refusals, word for word.
    if (o.quiet) throw new StatusError(1, '--quiet is not yet supported with --tree');
    if (o.trunc === false) throw new StatusError(1, '--no-trunc is not yet supported with --tree');
    if (o.digests) throw new StatusError(1, '--show-digest is not yet supported with --tree');
    if (o.format) throw new StatusError(1, '--format is not yet supported with --tree');
    const list = await ctx.docker.imageList({ all: o.all, filters, manifests: true });
    ctx.out(renderTree(treeView(list, { all: o.all }), (ctx.io.stdout as { columns?: number }).columns || 80));
    return 0;
  }
  const list = await ctx.docker.imageList({ all: o.all, digests: o.digests, filters });
  const trunc = o.trunc !== false;
  const rows = imageRows(list, trunc); // -q prints one ID per row, repeats included, like docker 28
  ctx.out(renderList({ format: o.quiet ? '{{.ID}}' : (o.format ?? ''), defaultFormat: imagesDefault(!!o.digests), headers: IMAGES_HEADERS }, rows));
  return 0;
}

export async function history(ctx: CliContext, argv: string[]): Promise<number> {
  const c = newCommand(ctx, { name: 'history', usage: '[OPTIONS] IMAGE', description: 'Show the history of an image', exactArgs: 1 })
    .option('-H, --human [bool]', 'Print sizes and dates in human readable format', (v: string) => v !== 'false', true)
    .option('--no-trunc', "Don't truncate output")
    .option('-q, --quiet', 'Only show image IDs')
    .option('--format <string>', 'Format output using a custom template');
  const p = parse<{ human: boolean; trunc?: boolean; quiet?: boolean; format?: string }>(ctx, c, argv);
  if (!p) return 0;
  const items = await ctx.docker.imageHistory(p.args[0]!);
  const rows = items.map((h) => new HistoryContext(h, p.opts.trunc !== false, p.opts.human !== false));
  ctx.out(renderList({ format: p.opts.quiet ? '{{.ID}}' : (p.opts.format ?? ''), defaultFormat: HISTORY_DEFAULT, headers: HISTORY_HEADERS }, rows));
  return 0;
}

export async function tag(ctx: CliContext, argv: string[]): Promise<number> {
  const p = parse(
    ctx,
    newCommand(ctx, {
      name: 'tag',
      usage: 'SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]',
      description: 'Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE',
      exactArgs: 2,
    }),
    argv,
  );
  if (!p) return 0;
  const [source, target] = p.args as [string, string];
  const bad = (ref: string, f: (r: string) => void) => {
    try {
      f(ref);
    } catch (e) {
      throw new Error(`Error parsing reference: ${JSON.stringify(ref)} is not a valid repository/tag: ${(e as Error).message}`);
    }
  };
  bad(source, checkAnyReference);
  bad(target, checkNormalizedNamed);
  if (target.includes('@')) throw new Error('refusing to create a tag with a digest reference');
  const { repo, tag } = splitRepoTag(target);
  await ctx.docker.imageTag(p.args[0]!, repo!, tag ?? 'latest');
  return 0;
}

export async function rmi(ctx: CliContext, argv: string[]): Promise<number> {
  const c = newCommand(ctx, { name: 'rmi', usage: '[OPTIONS] IMAGE [IMAGE...]', description: 'Remove one or more images', minArgs: 1 })
    .option('-f, --force', 'Force removal of the image')
    .option('--no-prune', 'Do not delete untagged parents');
  const p = parse<{ force?: boolean; prune?: boolean }>(ctx, c, argv);
  if (!p) return 0;
  const errs: string[] = [];
  for (const name of p.args) {
    try {
      for (const d of await ctx.docker.imageRemove(name, { force: p.opts.force, noprune: p.opts.prune === false })) {
        ctx.out(d.Untagged ? `Untagged: ${d.Untagged}\n` : `Deleted: ${d.Deleted}\n`);
      }
    } catch (e) {
      if ((e as { status?: number }).status === undefined) throw e;
      errs.push(`Error response from daemon: ${(e as Error).message}`);
    }
  }
  if (errs.length) throw new StatusError(1, errs.join('\n'));
  return 0;
}

export function confirm(ctx: CliContext, warning: string): Promise<boolean> {
  return confirmLine(ctx, `${warning}\nAre you sure you want to continue?`);
}

/** Prints `question [y/N] ` and reads one line of stdin: only y/yes agrees. */
export async function confirmLine(ctx: CliContext, question: string): Promise<boolean> {
  ctx.out(`${question} [y/N] `);
  const stdin = ctx.io.stdin;
  const answer = await new Promise<string>((resolve) => {
    let buf = '';
    const onData = (d: Buffer) => {
      buf += d.toString();
      if (buf.includes('\n')) done();
    };
    const done = () => {
      stdin.off('data', onData);
      stdin.off('end', done);
      stdin.pause();
      resolve(buf.split('\n')[0]!.trim());
    };
    stdin.on('data', onData);
    stdin.once('end', done);
    stdin.resume();
  });
  return /^y(es)?$/i.test(answer);
}

export async function imagePrune(ctx: CliContext, argv: string[]): Promise<number> {
  const c = newCommand(ctx, { name: 'image prune', usage: '[OPTIONS]', description: 'Remove unused images', maxArgs: 0 })
    .option('-a, --all', 'Remove all unused images, not just dangling ones')
    .option('-f, --force', 'Do not prompt for confirmation')
    .option('--filter <filter>', 'Provide filter values (e.g. "until=<timestamp>")', collect, []);
  const p = parse<{ all?: boolean; force?: boolean; filter: string[] }>(ctx, c, argv);
  if (!p) return 0;
  const warning = p.opts.all
    ? 'WARNING! This will remove all images without at least one container associated to them.'
    : 'WARNING! This will remove all dangling images.';
  if (!p.opts.force && !(await confirm(ctx, warning))) return 0;
  const filters = filtersOf(p.opts.filter);
  filters.dangling = [p.opts.all ? 'false' : 'true'];
  const r = await ctx.docker.imagePrune(filters);
  const deleted = r.ImagesDeleted ?? [];
  if (deleted.length) {
    ctx.out('Deleted Images:\n');
    for (const d of deleted) ctx.out(d.Untagged ? `untagged: ${d.Untagged}\n` : `deleted: ${d.Deleted}\n`);
    ctx.out('\n');
  }
  ctx.out(`Total reclaimed space: ${humanSizeWithPrecision(r.SpaceReclaimed, 3)}\n`);
  return 0;
}
