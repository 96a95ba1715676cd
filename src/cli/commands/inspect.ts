// inspect (containers then images, or --type), container inspect, image inspect: a JSON array
// with docker's 4-space indentation, or one template line per object with -f.
import { isApiError } from '../../api/client/errors.js';
import { StatusError } from '../cli-error.js';
import type { CliContext } from '../context.js';
import { newCommand, parse } from '../flags.js';
import { renderOne } from '../format/render.js';
import { parsePlatform } from '../../lib/platform.js';
import type { OciPlatform } from '../../api/types/index.js';

/** "linux/arm64/v8" as the OCI platform object the API takes (image inspect, save). */
export function ociPlatform(s: string): OciPlatform {
  const p = parsePlatform(s);
  return { os: p.os, architecture: p.architecture, ...(p.variant ? { variant: p.variant } : {}) };
}

type Kind = 'container' | 'image' | '';
interface InspectOpts {
  format?: string;
  type?: string;
  size?: boolean;
  platform?: string;
}

async function inspectAny(ctx: CliContext, argv: string[], name: string, fixed: Kind): Promise<number> {
  const c = newCommand(ctx, { name, usage: '[OPTIONS] NAME|ID [NAME|ID...]', description: 'Return low-level information on Docker objects', minArgs: 1 })
    .option('-f, --format <string>', 'Format output using a custom template')
    .option('-s, --size', 'Display total file sizes if the type is container');
  if (!fixed) c.option('--type <string>', 'Return JSON for specified type');
  if (fixed === 'image')
    c.option(
      '--platform <string>',
      'Inspect a specific platform of the multi-platform image.\nIf the image or the platform is not available locally,\nthe command returns an error.',
    );
  const p = parse<InspectOpts>(ctx, c, argv);
  if (!p) return 0;
  const kind = (fixed || p.opts.type || '') as Kind;
  if (kind !== '' && kind !== 'container' && kind !== 'image') throw new StatusError(1, `"${kind}" is not a valid value for --type`);
  const platform = p.opts.platform ? ociPlatform(p.opts.platform) : undefined;
  const results: unknown[] = [];
  const errors: string[] = [];
  for (const ref of p.args) {
    try {
      if (kind === 'container' || kind === '') {
        try {
          results.push(await ctx.docker.containerInspect(ref, { size: p.opts.size }));
          continue;
        } catch (e) {
          if (kind === 'container' || !isApiError(e, 404)) throw e;
        }
      }
      results.push(await ctx.docker.imageInspect(ref, { platform }));
    } catch (e) {
      if (!isApiError(e, 404)) throw e;
      // The name is here but not for that platform: the daemon's words say which it has.
      if (platform && !/^No such image/.test((e as Error).message)) {
        errors.push(`Error: ${(e as Error).message}`);
        continue;
      }
      errors.push(kind === '' ? `Error: No such object: ${ref}` : kind === 'image' ? `Error: No such image: ${ref}` : `Error: No such container: ${ref}`);
    }
  }
  if (p.opts.format) for (const r of results) ctx.out(renderOne(p.opts.format, r));
  else ctx.out(`${JSON.stringify(results, null, 4)}\n`);
  if (errors.length) throw new StatusError(1, errors.join('\n'));
  return 0;
}

export const inspect = (ctx: CliContext, argv: string[]) => inspectAny(ctx, argv, 'inspect', '');
export const containerInspect = (ctx: CliContext, argv: string[]) => inspectAny(ctx, argv, 'container inspect', 'container');
export const imageInspect = (ctx: CliContext, argv: string[]) => inspectAny(ctx, argv, 'image inspect', 'image');
