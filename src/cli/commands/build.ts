// `berth build` (docker's classic builder output) and `berth builder prune`.
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { StatusError } from '../cli-error.js';
import type { CliContext } from '../context.js';
import { collect, newCommand, parse } from '../flags.js';
import { packContext, readableOf } from '../../client/build-context.js';
import { scanContext, uploadBody } from '../../client/context-sync.js';
import type { BuildQuery } from '../../api/client/docker-client.js';
import { ApiError } from '../../api/client/errors.js';
import type { JsonMessage } from '../../api/types/index.js';
import { humanSizeWithPrecision } from '../../lib/go-units.js';
import { detectCompression } from '../../lib/compression.js';
import { splitRef } from '../../client/reference.js';

interface BuildOpts {
  tag: string[];
  file?: string;
  buildArg: string[];
  target?: string;
  cache: boolean; // --no-cache stores false
  label: string[];
  network?: string;
  quiet?: boolean;
  iidfile?: string;
  pull?: boolean;
  rm: boolean;
  forceRm?: boolean;
  platform?: string;
  addHost: string[];
  cacheFrom: string[];
  push?: boolean;
}

function kvList(list: string[], env: NodeJS.ProcessEnv, fromEnv: boolean): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const kv of list) {
    const i = kv.indexOf('=');
    if (i >= 0) out[kv.slice(0, i)] = kv.slice(i + 1);
    else out[kv] = fromEnv ? (env[kv] ?? null) : '';
  }
  return out;
}

async function readStdin(ctx: CliContext): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of ctx.io.stdin as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks);
}

export async function build(ctx: CliContext, argv: string[]): Promise<number> {
  const c = newCommand(ctx, { name: 'build', usage: '[OPTIONS] PATH | URL | -', description: 'Build an image from a Dockerfile', exactArgs: 1 })
    .option('-t, --tag <list>', 'Name and optionally a tag in the "name:tag" format', collect, [])
    .option('-f, --file <string>', 'Name of the Dockerfile (Default is "PATH/Dockerfile")')
    .option('--build-arg <list>', 'Set build-time variables', collect, [])
    .option('--target <string>', 'Set the target build stage to build.')
    .option('--no-cache', 'Do not use cache when building the image')
    .option('--label <list>', 'Set metadata for an image', collect, [])
    .option('--network <string>', 'Set the networking mode for the RUN instructions during build')
    .option('-q, --quiet', 'Suppress the build output and print image ID on success')
    .option('--iidfile <string>', 'Write the image ID to the file')
    .option('--pull', 'Always attempt to pull a newer version of the image')
    .option('--rm [bool]', 'Remove intermediate containers after a successful build', true)
    .option('--force-rm', 'Always remove intermediate containers')
    .option('--platform <string>', 'Set target platform for build (a comma-separated list builds each into one multi-platform name)')
    .option('--push', "Push every tag (-t) to its registry after the build (buildx's shorthand): a multi-platform name goes up as one OCI index")
    .option('--add-host <list>', 'Add a custom host-to-IP mapping ("host:ip")', collect, [])
    .option('--cache-from <strings>', 'Images to consider as cache sources', collect, []);
  const p = parse<BuildOpts>(ctx, c, argv);
  if (!p) return 0;
  const o = p.opts;
  const src = p.args[0]!;
  if (o.push && !o.tag.length) throw new StatusError(1, 'ERROR: tag is needed when pushing to registry');
  if (/^(https?|git):\/\//.test(src) || src.startsWith('git@'))
    throw new StatusError(1, 'unable to prepare context: remote build contexts are not supported by berth');
  if (src === '-' && o.file === '-') throw new StatusError(1, "invalid argument: can't use stdin for both build context and dockerfile");
  const query: BuildQuery = {
    t: o.tag,
    buildargs: kvList(o.buildArg, ctx.env, true),
    labels: kvList(o.label, ctx.env, false),
    target: o.target,
    nocache: o.cache === false || undefined,
    q: o.quiet || undefined,
    networkmode: o.network,
    pull: o.pull || undefined,
    rm: o.rm !== false,
    forcerm: o.forceRm || undefined,
    platform: o.platform,
    // As the docker CLI sends them: one extrahosts per host, cachefrom as a JSON array.
    extrahosts: o.addHost.length ? o.addHost : undefined,
    cachefrom: o.cacheFrom.length ? JSON.stringify(o.cacheFrom) : undefined,
  };
  let stream: AsyncGenerator<JsonMessage<{ ID?: string }>> | undefined;
  if (src === '-') {
    const data = await readStdin(ctx);
    const isTar = (data.length >= 262 && data.subarray(257, 262).toString('latin1') === 'ustar') || detectCompression(data) === 'gzip';
    if (isTar) {
      stream = ctx.docker.imageBuild(readableOf([data]), { ...query, dockerfile: o.file ?? 'Dockerfile' });
    } else {
      const empty = await mkdtemp(`${tmpdir()}/berth-build-`);
      const packed = await packContext(empty, undefined, data);
      void rm(empty, { recursive: true, force: true });
      stream = ctx.docker.imageBuild(packed.tar, { ...query, dockerfile: packed.dockerfile });
    }
  } else {
    const st = await stat(src).catch(() => undefined);
    if (!st?.isDirectory()) throw new StatusError(1, `unable to prepare context: path "${src}" not found`);
    const dfText = o.file === '-' ? await readStdin(ctx) : undefined;
    const dfPath = o.file === '-' ? undefined : o.file;
    if (ctx.env.BERTH_BUILD_CONTEXT !== 'tar') stream = await incrementalBuild(ctx, src, dfPath, dfText, query);
    if (!stream) {
      const packed = await packContext(src, dfPath, dfText);
      stream = ctx.docker.imageBuild(packed.tar, { ...query, dockerfile: packed.dockerfile });
    }
  }
  let imageId = '';
  for await (const m of stream) {
    if (m.errorDetail || m.error) {
      ctx.err(`${m.errorDetail?.message ?? m.error}\n`);
      // As the docker CLI: a failed RUN's exit code becomes ours.
      return m.errorDetail?.code || 1;
    }
    if (m.aux?.ID) imageId = m.aux.ID;
    if (m.stream !== undefined && !o.quiet) ctx.out(m.stream);
  }
  if (o.quiet) ctx.out(`${imageId}\n`);
  if (o.iidfile && imageId) await writeFile(o.iidfile, imageId);
  if (o.push) for (const t of o.tag) await pushTag(ctx, t, !!o.quiet);
  return 0;
}

/** `--push`: each tag as `berth push` sends it (credentials from `berth login`). */
async function pushTag(ctx: CliContext, tag: string, quiet: boolean): Promise<void> {
  // Loaded here: a build without --push spares their modules (credential helpers load node:child_process).
  const { registryAuthHeader } = await import('../../client/registry-auth.js');
  const { showJsonMessages } = await import('../../client/jsonmessage.js');
  const r = splitRef(tag);
  const auth = await registryAuthHeader(r.repo.split('/')[0]!, ctx.env);
  await showJsonMessages(ctx.docker.imagePush(r.repo, r.tag ?? 'latest', auth), (s) => {
    if (!quiet) ctx.out(s);
  });
}

/**
 * The context through Berth's incremental upload (client/context-sync.ts): the manifest, then
 * only what the daemon lacks. Undefined when the daemon has no such route (dockerd, an older
 * berthd): the caller sends the whole tar. When the daemon lost a content between the two steps
 * (another build took it), the exchange is made once more.
 */
async function incrementalBuild(
  ctx: CliContext,
  src: string,
  dockerfile: string | undefined,
  dockerfileText: Buffer | undefined,
  query: BuildQuery,
): Promise<AsyncGenerator<JsonMessage<{ ID?: string }>> | undefined> {
  const scan = await scanContext(src, dockerfile, dockerfileText, ctx.env);
  for (let attempt = 0; ; attempt++) {
    let missing: string[];
    try {
      missing = await ctx.docker.berthBuildContextMissing(scan.id, scan.manifest);
    } catch (e) {
      if (e instanceof ApiError && (e.status === 404 || e.status === 405)) return undefined;
      throw e;
    }
    const stream = ctx.docker.berthBuild(scan.id, uploadBody(scan, missing), { ...query, dockerfile: scan.dockerfile });
    try {
      const first = await stream.next(); // a 409 for lost content arrives before any message
      return (async function* () {
        if (!first.done) yield first.value;
        yield* stream;
      })();
    } catch (e) {
      if (attempt === 0 && e instanceof ApiError && e.status === 409) continue;
      throw e;
    }
  }
}

/** `berth builder prune`: docker's prompt and report (-a/-f; the classic builder's cache has no finer grain). */
export async function builderPrune(ctx: CliContext, argv: string[]): Promise<number> {
  const c = newCommand(ctx, { name: 'prune', usage: '[OPTIONS]', description: 'Remove build cache', maxArgs: 0 })
    .option('-a, --all', 'Remove all unused build cache, not just dangling ones')
    .option('-f, --force', 'Do not prompt for confirmation')
    .option('--filter <filter>', 'Provide filter values (e.g. "until=24h")', collect, [])
    .option('--keep-storage <bytes>', 'Amount of disk space to keep for cache');
  const p = parse<{ all?: boolean; force?: boolean }>(ctx, c, argv);
  if (!p) return 0;
  const warning = `WARNING! This will remove all ${p.opts.all ? '' : 'dangling '}build cache. Are you sure you want to continue?`;
  if (!p.opts.force && !(await (await import('./images.js')).confirmLine(ctx, warning))) return 0;
  const r = await ctx.docker.json<{ CachesDeleted: string[] | null; SpaceReclaimed: number }>('POST', '/build/prune', {
    query: { all: p.opts.all ? 1 : undefined },
  });
  const deleted = r.CachesDeleted ?? [];
  const list = deleted.length ? `Deleted build cache objects:\n${deleted.map((d) => `${d}\n`).join('')}\n` : '';
  ctx.out(`${list}Total reclaimed space: ${humanSizeWithPrecision(r.SpaceReclaimed, 4)}\n`);
  return 0;
}
