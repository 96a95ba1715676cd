// save, load, import, pull: tar streams in and out, jsonmessage progress on the way back.
import { openRead } from '../../client/go-fs.js';
import { pipeline } from 'node:stream/promises';
import { copyToFile } from '../output-file.js';
import type { Readable } from 'node:stream';
import { StatusError } from '../cli-error.js';
import type { CliContext } from '../context.js';
import { collect, newCommand, parse } from '../flags.js';
import { checkNormalizedNamed, splitRef } from '../../client/reference.js';
import { splitRepoTag } from '../../lib/reference.js';
import { showJsonMessages } from '../../client/jsonmessage.js';
import { registryAuthHeader } from '../../client/registry-auth.js';
import { ociPlatform } from './inspect.js';

export async function save(ctx: CliContext, argv: string[]): Promise<number> {
  const c = newCommand(ctx, {
    name: 'save',
    usage: '[OPTIONS] IMAGE [IMAGE...]',
    description: 'Save one or more images to a tar archive (streamed to STDOUT by default)',
    minArgs: 1,
  })
    .option('-o, --output <string>', 'Write to a file, instead of STDOUT')
    .option('--platform <string>', 'Save only the given platform variant');
  const p = parse<{ output?: string; platform?: string }>(ctx, c, argv);
  if (!p) return 0;
  if (!p.opts.output && ctx.io.stdout.isTTY) throw new StatusError(1, 'cowardly refusing to save to a terminal. Use the -o flag or redirect');
  const platform = p.opts.platform ? ociPlatform(p.opts.platform) : undefined;
  const res = await ctx.docker.imageSave(p.args, { platform });
  if (p.opts.output) await copyToFile(res, p.opts.output);
  else await pipeline(res, ctx.io.stdout);
  return 0;
}

export async function load(ctx: CliContext, argv: string[]): Promise<number> {
  const c = newCommand(ctx, { name: 'load', usage: '[OPTIONS]', description: 'Load an image from a tar archive or STDIN', maxArgs: 0 })
    .option('-i, --input <string>', 'Read from tar archive file, instead of STDIN')
    .option('-q, --quiet', 'Suppress the load output');
  const p = parse<{ input?: string; quiet?: boolean }>(ctx, c, argv);
  if (!p) return 0;
  if (!p.opts.input && ctx.io.stdin.isTTY) throw new StatusError(1, 'requested load from stdin, but stdin is empty');
  const src = (p.opts.input ? openRead(p.opts.input) : ctx.io.stdin) as Readable;
  await showJsonMessages(ctx.docker.imageLoad(src, { quiet: p.opts.quiet }), (s) => ctx.out(s));
  return 0;
}

export async function importImage(ctx: CliContext, argv: string[]): Promise<number> {
  const c = newCommand(ctx, {
    name: 'import',
    usage: '[OPTIONS] file|URL|- [REPOSITORY[:TAG]]',
    description: 'Import the contents from a tarball to create a filesystem image',
    minArgs: 1,
  })
    .option('-c, --change <list>', 'Apply Dockerfile instruction to the created image', collect, [])
    .option('-m, --message <string>', 'Set commit message for imported image')
    .option('--platform <string>', 'Set platform if server is multi-platform capable');
  const p = parse<{ change: string[]; message?: string; platform?: string }>(ctx, c, argv);
  if (!p) return 0;
  const [file, ref] = p.args;
  const { repo, tag } = splitRepoTag(ref);
  const isUrl = /^https?:\/\//.test(file!);
  const body = file === '-' ? (ctx.io.stdin as Readable) : isUrl ? undefined : openRead(file!);
  const msgs = await collectMessages(
    ctx.docker.imageCreate({ fromSrc: isUrl ? file : '-', repo, tag, message: p.opts.message, changes: p.opts.change, platform: p.opts.platform }, body),
  );
  for (const m of msgs) if (m.status) ctx.out(`${m.status}\n`);
  return 0;
}

async function collectMessages(stream: AsyncIterable<import('../../api/types/index.js').JsonMessage>) {
  const out: import('../../api/types/index.js').JsonMessage[] = [];
  await showJsonMessages(
    (async function* () {
      for await (const m of stream) {
        out.push(m);
        yield m;
      }
    })(),
    () => {},
  );
  return out;
}

export async function pull(ctx: CliContext, argv: string[]): Promise<number> {
  const c = newCommand(ctx, { name: 'pull', usage: '[OPTIONS] NAME[:TAG|@DIGEST]', description: 'Download an image from a registry', exactArgs: 1 })
    .option('-a, --all-tags', 'Download all tagged images in the repository')
    .option('-q, --quiet', 'Suppress verbose output')
    .option('--platform <string>', 'Set platform if server is multi-platform capable');
  const p = parse<{ quiet?: boolean; platform?: string }>(ctx, c, argv);
  if (!p) return 0;
  checkNormalizedNamed(p.args[0]!);
  const r = splitRef(p.args[0]!);
  const typed = p.args[0]!;
  // A name only (no tag after the last "/", no digest): a registry's port is not a tag.
  const nameOnly = !typed.includes('@') && typed.lastIndexOf(':') < typed.lastIndexOf('/') + 1;
  if (nameOnly && !p.opts.quiet) ctx.out('Using default tag: latest\n');
  const auth = await registryAuthHeader(r.repo.split('/')[0]!, ctx.env); // what `berth login` stored
  await showJsonMessages(
    ctx.docker.imageCreate({ fromImage: r.repo, tag: r.digest ?? r.tag, platform: p.opts.platform }, undefined, { 'X-Registry-Auth': auth }),
    (s) => {
      if (!p.opts.quiet) ctx.out(s);
    },
  );
  const full = r.repo.startsWith('docker.io/') ? `${r.repo}${r.digest ? `@${r.digest}` : `:${r.tag}`}` : r.familiar;
  ctx.out(`${full}\n`);
  return 0;
}

export async function push(ctx: CliContext, argv: string[]): Promise<number> {
  const c = newCommand(ctx, { name: 'push', usage: '[OPTIONS] NAME[:TAG]', description: 'Upload an image to a registry', exactArgs: 1 })
    .option('-a, --all-tags', 'Push all tags of an image to the repository')
    .option('-q, --quiet', 'Suppress verbose output');
  const p = parse<{ allTags?: boolean; quiet?: boolean }>(ctx, c, argv);
  if (!p) return 0;
  checkNormalizedNamed(p.args[0]!);
  const typed = p.args[0]!;
  const nameOnly = !typed.includes('@') && typed.lastIndexOf(':') < typed.lastIndexOf('/') + 1;
  if (p.opts.allTags && !nameOnly) throw new StatusError(1, "tag can't be used with --all-tags/-a");
  const r = splitRef(typed);
  if (nameOnly && !p.opts.allTags && !p.opts.quiet) ctx.out('Using default tag: latest\n');
  const host = r.repo.split('/')[0]!;
  const auth = await registryAuthHeader(host, ctx.env);
  await showJsonMessages(ctx.docker.imagePush(r.repo, p.opts.allTags ? undefined : r.tag, auth), (s) => {
    if (!p.opts.quiet) ctx.out(s);
  });
  if (p.opts.quiet) ctx.out(`${r.familiar}\n`);
  return 0;
}
