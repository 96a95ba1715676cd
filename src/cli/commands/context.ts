// context create / ls / use / show / inspect / rm / update: the docker CLI's contexts, kept in
// its own store (client/docker-contexts.ts) so that berth and docker share them.
import { readFile, writeFile } from 'node:fs/promises';
import tarStream from 'tar-stream';
import { join } from 'node:path';
import { DEFAULT_CONTEXT, currentContextSetting } from '../../api/client/host.js';
import {
  type ContextMeta,
  type TlsFileName,
  TLS_FILES,
  contextTlsFiles,
  findContext,
  getContext,
  listContexts,
  metaDir,
  removeContext,
  saveContext,
  setCurrentContext,
  tlsDir,
  validateContextName,
} from '../../client/docker-contexts.js';
import { StatusError } from '../cli-error.js';
import type { CliContext } from '../context.js';
import { collect, newCommand, parse } from '../flags.js';
import { renderList } from '../format/render.js';
import { writeInspect } from './volume.js';

const DEFAULT_DESCRIPTION = 'Current DOCKER_HOST based configuration';
const HOST_OVERRIDES = 'Warning: DOCKER_HOST environment variable overrides the active context.';

/** The built-in default context: whatever -H / DOCKER_HOST name. */
function defaultContext(ctx: CliContext): ContextMeta {
  return { Name: DEFAULT_CONTEXT, Metadata: {}, Endpoints: { docker: { Host: ctx.defaultHost, SkipTLSVerify: false } } };
}

function lookup(ctx: CliContext, name: string): ContextMeta {
  return name === DEFAULT_CONTEXT ? defaultContext(ctx) : getContext(ctx.env, name);
}

interface Endpoint {
  meta: ContextMeta['Endpoints'];
  tls: Partial<Record<TlsFileName, Buffer>>;
}

/** An existing context's endpoint and TLS files, to copy (`--from`, or the current one). */
async function copyEndpoint(ctx: CliContext, name: string): Promise<Endpoint> {
  const c = lookup(ctx, name);
  const tls: Endpoint['tls'] = {};
  if (name !== DEFAULT_CONTEXT) for (const f of contextTlsFiles(ctx.env, name)) tls[f] = await readFile(join(tlsDir(ctx.env, name), 'docker', f));
  return { meta: { docker: c.Endpoints.docker ?? { Host: '', SkipTLSVerify: false } }, tls };
}

/** `--docker host=...,ca=...,cert=...,key=...,skip-tls-verify=...` (pflag's stringToString, repeatable). */
async function parseDockerFlag(ctx: CliContext, given: string[]): Promise<Endpoint> {
  const kv = new Map<string, string>();
  for (const item of given)
    for (const part of item.split(',')) {
      if (!part) continue;
      const i = part.indexOf('=');
      if (i < 0) throw new StatusError(125, `invalid argument "${item}" for "--docker" flag: ${part} must be formatted as key=value`);
      kv.set(part.slice(0, i), part.slice(i + 1));
    }
  const fail = (msg: string) => new StatusError(1, `unable to create docker endpoint config: ${msg}`);
  for (const k of kv.keys()) if (!['from', 'host', 'ca', 'cert', 'key', 'skip-tls-verify'].includes(k)) throw fail(`unrecognized config key: ${k}`);
  const from = kv.get('from');
  if (from) return copyEndpoint(ctx, from);
  let skip = false;
  const s = kv.get('skip-tls-verify');
  if (s !== undefined) {
    if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(s)) skip = true;
    else if (!['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(s)) throw fail(`skip-tls-verify: parsing "${s}": invalid syntax`);
  }
  const tls: Endpoint['tls'] = {};
  for (const [k, f] of [
    ['ca', 'ca.pem'],
    ['cert', 'cert.pem'],
    ['key', 'key.pem'],
  ] as const) {
    const path = kv.get(k);
    if (!path) continue;
    try {
      tls[f] = await readFile(path);
    } catch (e) {
      throw fail(`open ${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (e as Error).message}`);
    }
  }
  return { meta: { docker: { Host: kv.get('host') ?? '', SkipTLSVerify: skip } }, tls };
}

const endpointOptions = (c: ReturnType<typeof newCommand>) =>
  c.option('--description <string>', 'Description of the context').option('--docker <stringToString>', 'set the docker endpoint', collect, []);

export async function contextCreate(ctx: CliContext, argv: string[]): Promise<number> {
  const c = endpointOptions(newCommand(ctx, { name: 'context create', usage: '[OPTIONS] CONTEXT', description: 'Create a context', exactArgs: 1 })).option(
    '--from <string>',
    'create context from a named context',
  );
  const p = parse<{ description?: string; docker: string[]; from?: string }>(ctx, c, argv);
  if (!p) return 0;
  const name = p.args[0]!;
  try {
    validateContextName(name);
  } catch (e) {
    throw new StatusError(1, (e as Error).message);
  }
  if (findContext(ctx.env, name)) throw new StatusError(1, `context "${name}" already exists`);
  let ep: Endpoint;
  let description = p.opts.description;
  if (p.opts.docker.length) ep = await parseDockerFlag(ctx, p.opts.docker);
  else {
    // docker copies the named (--from) or current context, its description included
    const src = p.opts.from ?? ctx.contextName;
    ep = await copyEndpoint(ctx, src);
    description ??= src === DEFAULT_CONTEXT ? DEFAULT_DESCRIPTION : lookup(ctx, src).Metadata.Description;
  }
  await saveContext(ctx.env, { Name: name, Metadata: description ? { Description: description } : {}, Endpoints: ep.meta }, ep.tls);
  ctx.out(`${name}\n`);
  ctx.err(`Successfully created context "${name}"\n`);
  return 0;
}

export async function contextUpdate(ctx: CliContext, argv: string[]): Promise<number> {
  const c = endpointOptions(newCommand(ctx, { name: 'context update', usage: '[OPTIONS] CONTEXT', description: 'Update a context', exactArgs: 1 }));
  const p = parse<{ description?: string; docker: string[] }>(ctx, c, argv);
  if (!p) return 0;
  const name = p.args[0]!;
  try {
    validateContextName(name);
    const cur = getContext(ctx.env, name);
    const ep = p.opts.docker.length ? await parseDockerFlag(ctx, p.opts.docker) : undefined;
    const meta: ContextMeta = { ...cur, Metadata: { ...cur.Metadata }, Endpoints: ep ? { ...cur.Endpoints, ...ep.meta } : cur.Endpoints };
    if (p.opts.description !== undefined) meta.Metadata.Description = p.opts.description;
    await saveContext(ctx.env, meta, ep?.tls);
  } catch (e) {
    if (e instanceof StatusError) throw e;
    throw new StatusError(1, (e as Error).message);
  }
  ctx.out(`${name}\n`);
  ctx.err(`Successfully updated context "${name}"\n`);
  return 0;
}

export const CONTEXT_HEADERS: Record<string, string> = {
  Name: 'NAME',
  Description: 'DESCRIPTION',
  DockerEndpoint: 'DOCKER ENDPOINT',
  Error: 'ERROR',
  Current: 'CURRENT',
};
const CONTEXT_DEFAULT = 'table {{.Name}}\t{{.Description}}\t{{.DockerEndpoint}}\t{{.Error}}';

/** A row of `context ls`; JSON keys sorted as docker marshals them. */
interface ContextRow {
  Current: boolean;
  Description: string;
  DockerEndpoint: string;
  Error: string;
  Name: string;
}

export async function contextLs(ctx: CliContext, argv: string[]): Promise<number> {
  const c = newCommand(ctx, { name: 'context ls', usage: '[OPTIONS]', description: 'List contexts', maxArgs: 0 })
    .option('--format <string>', 'Format output using a custom template')
    .option('-q, --quiet', 'Only show context names');
  const p = parse<{ format?: string; quiet?: boolean }>(ctx, c, argv);
  if (!p) return 0;
  const format = p.opts.quiet ? '{{.Name}}' : (p.opts.format ?? '');
  // docker marks the current context in its default table only, and lists them all by name
  const star = format === '' || format === 'table';
  const rows: ContextRow[] = [defaultContext(ctx), ...listContexts(ctx.env)]
    .sort((a, b) => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0))
    .map((m) => ({
      Current: m.Name === ctx.contextName,
      Description: m.Name === DEFAULT_CONTEXT ? DEFAULT_DESCRIPTION : (m.Metadata.Description ?? ''),
      DockerEndpoint: m.Endpoints.docker?.Host ?? '',
      Error: '',
      Name: star && m.Name === ctx.contextName ? `${m.Name} *` : m.Name,
    }));
  ctx.out(renderList({ format, defaultFormat: CONTEXT_DEFAULT, headers: CONTEXT_HEADERS }, rows));
  if (ctx.env.DOCKER_HOST) ctx.err(`${HOST_OVERRIDES} To use a context, either set the global --context flag, or unset DOCKER_HOST environment variable.\n`);
  return 0;
}

export async function contextUse(ctx: CliContext, argv: string[]): Promise<number> {
  const c = newCommand(ctx, { name: 'context use', usage: 'CONTEXT', description: 'Set the current docker context', exactArgs: 1 });
  const p = parse(ctx, c, argv);
  if (!p) return 0;
  const name = p.args[0]!;
  try {
    if (name !== DEFAULT_CONTEXT) {
      validateContextName(name);
      getContext(ctx.env, name);
    }
    await setCurrentContext(ctx.env, name);
  } catch (e) {
    throw new StatusError(1, (e as Error).message);
  }
  ctx.out(`${name}\n`);
  ctx.err(`Current context is now "${name}"\n`);
  if (name !== DEFAULT_CONTEXT && ctx.env.DOCKER_HOST)
    ctx.err(`${HOST_OVERRIDES} To use "${name}", either set the global --context flag, or unset DOCKER_HOST environment variable.\n`);
  return 0;
}

export async function contextShow(ctx: CliContext, argv: string[]): Promise<number> {
  const c = newCommand(ctx, { name: 'context show', usage: '', description: 'Print the name of the current context', maxArgs: 0 });
  if (!parse(ctx, c, argv)) return 0;
  ctx.out(`${ctx.contextName}\n`);
  return 0;
}

export async function contextInspect(ctx: CliContext, argv: string[]): Promise<number> {
  const c = newCommand(ctx, {
    name: 'context inspect',
    usage: '[OPTIONS] [CONTEXT] [CONTEXT...]',
    description: 'Display detailed information on one or more contexts',
  }).option('-f, --format <string>', 'Format output using a custom template');
  const p = parse<{ format?: string }>(ctx, c, argv);
  if (!p) return 0;
  const found: unknown[] = [];
  const errors: string[] = [];
  for (const name of p.args.length ? p.args : [ctx.contextName]) {
    try {
      const m = lookup(ctx, name);
      const stored = name !== DEFAULT_CONTEXT;
      const files = stored ? contextTlsFiles(ctx.env, name) : [];
      found.push({
        Name: m.Name,
        Metadata: m.Metadata,
        Endpoints: m.Endpoints,
        TLSMaterial: files.length ? { docker: files } : {},
        Storage: { MetadataPath: stored ? metaDir(ctx.env, name) : '<IN MEMORY>', TLSPath: stored ? tlsDir(ctx.env, name) : '<IN MEMORY>' },
      });
    } catch (e) {
      errors.push((e as Error).message);
    }
  }
  writeInspect(ctx, p.opts.format, found);
  if (errors.length) throw new StatusError(1, errors.join('\n'));
  return 0;
}

export async function contextRm(ctx: CliContext, argv: string[]): Promise<number> {
  const c = newCommand(ctx, { name: 'context rm', usage: 'CONTEXT [CONTEXT...]', description: 'Remove one or more contexts', minArgs: 1 }).option(
    '-f, --force',
    'Force the removal of a context in use',
  );
  const p = parse<{ force?: boolean }>(ctx, c, argv);
  if (!p) return 0;
  const errors: string[] = [];
  for (const name of p.args) {
    if (name === DEFAULT_CONTEXT) {
      errors.push(`context "${name}" cannot be removed`);
      continue;
    }
    // docker's -f also forgives a context that does not exist
    if (!findContext(ctx.env, name) && !p.opts.force) {
      errors.push(`context "${name}" does not exist`);
      continue;
    }
    if (name === ctx.contextName) {
      if (!p.opts.force) {
        errors.push(`context "${name}" is in use, set -f flag to force remove`);
        continue;
      }
    }
    if (currentContextSetting(ctx.env) === name) await setCurrentContext(ctx.env, undefined);
    await removeContext(ctx.env, name);
    ctx.out(`${name}\n`);
  }
  if (errors.length) throw new StatusError(1, errors.join('\n'));
  return 0;
}

/** docker's export: a tar of meta.json and tls/docker/*.pem, epoch times, owner 0. */
async function exportTar(meta: ContextMeta, tls: Endpoint['tls']): Promise<Buffer> {
  const pack = tarStream.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c: unknown) => chunks.push(c as Buffer));
  const done = new Promise<void>((resolve, reject) => {
    pack.on('end', resolve);
    pack.on('error', reject);
  });
  const at = new Date(0);
  pack.entry({ name: 'meta.json', mode: 0o644, mtime: at }, Buffer.from(JSON.stringify(meta)));
  const files = Object.entries(tls).filter(([, v]) => v);
  if (files.length) {
    pack.entry({ name: 'tls', type: 'directory', mode: 0o700, mtime: at });
    pack.entry({ name: 'tls/docker', type: 'directory', mode: 0o700, mtime: at });
    for (const [f, data] of files) pack.entry({ name: `tls/docker/${f}`, mode: 0o600, mtime: at }, data!);
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

export async function contextExport(ctx: CliContext, argv: string[]): Promise<number> {
  const c = newCommand(ctx, {
    name: 'context export',
    usage: '[OPTIONS] CONTEXT [FILE|-]',
    description: 'Export a context to a tar archive FILE or a tar stream on STDOUT.',
    minArgs: 1,
    maxArgs: 2,
  });
  const p = parse(ctx, c, argv);
  if (!p) return 0;
  const [name, dest = `${p.args[0]}.dockercontext`] = p.args as [string, string?];
  let tar: Buffer;
  try {
    const m = lookup(ctx, name);
    tar = await exportTar(m, (await copyEndpoint(ctx, name)).tls);
  } catch (e) {
    throw new StatusError(1, (e as Error).message);
  }
  if (dest === '-') {
    ctx.io.stdout.write(tar);
    return 0;
  }
  try {
    await writeFile(dest, tar, { flag: 'wx', mode: 0o644 }); // docker refuses to overwrite
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new StatusError(1, `open ${dest}: ${code === 'EEXIST' ? 'file exists' : (e as Error).message}`);
  }
  ctx.err(`Written file "${dest}"\n`);
  return 0;
}

/** Reads an exported context: meta.json and tls/docker/{ca,cert,key}.pem; anything else is ignored. */
async function importTar(data: Buffer): Promise<{ meta?: ContextMeta; tls: Endpoint['tls'] }> {
  const extract = tarStream.extract();
  const out: { meta?: ContextMeta; tls: Endpoint['tls'] } = { tls: {} };
  const done = new Promise<void>((resolve, reject) => {
    extract.on('entry', (h, stream, next) => {
      const parts: Buffer[] = [];
      stream.on('data', (b: unknown) => parts.push(b as Buffer));
      stream.on('end', () => {
        const body = Buffer.concat(parts);
        const name = h.name.replace(/^\.\//, '');
        if (h.type === 'file' && name === 'meta.json') out.meta = JSON.parse(body.toString('utf8')) as ContextMeta;
        const f = name.startsWith('tls/docker/') ? name.slice('tls/docker/'.length) : '';
        if (h.type === 'file' && (TLS_FILES as readonly string[]).includes(f)) out.tls[f as TlsFileName] = body;
        next();
      });
      stream.on('error', reject);
    });
    extract.on('finish', resolve);
    extract.on('error', reject);
  });
  // docker 28's own exports stop right after the last file's data, without its padding or tar's
  // two zero blocks: add them (zeros after a complete archive are ignored)
  extract.end(Buffer.concat([data, Buffer.alloc(((512 - (data.length % 512)) % 512) + 1024)]));
  await done;
  return out;
}

export async function contextImport(ctx: CliContext, argv: string[]): Promise<number> {
  const c = newCommand(ctx, { name: 'context import', usage: 'CONTEXT FILE|-', description: 'Import a context from a tar or zip file', exactArgs: 2 });
  const p = parse(ctx, c, argv);
  if (!p) return 0;
  const [name, src] = p.args as [string, string];
  try {
    validateContextName(name);
    if (findContext(ctx.env, name)) throw new Error(`context "${name}" already exists`);
    let data: Buffer;
    if (src === '-') {
      const parts: Buffer[] = [];
      for await (const b of ctx.io.stdin) parts.push(b as Buffer);
      data = Buffer.concat(parts);
    } else data = await readFile(src);
    if (data.subarray(0, 4).equals(Buffer.from('PK\x03\x04', 'latin1')))
      throw new Error('importing a context from a zip file is not supported by berth (use a tar)');
    const got = await importTar(data);
    if (!got.meta) throw new Error('invalid context: no metadata found');
    await saveContext(ctx.env, { Name: name, Metadata: got.meta.Metadata ?? {}, Endpoints: got.meta.Endpoints ?? {} }, got.tls);
  } catch (e) {
    if (e instanceof StatusError) throw e;
    throw new StatusError(1, (e as Error).message);
  }
  ctx.out(`${name}\n`);
  ctx.err(`Successfully imported context "${name}"\n`);
  return 0;
}
