// `berth manifest inspect [--insecure] [-v] REF`, as `docker manifest inspect`: the CLI asks the
// registry itself (not the daemon), with the credentials of config.json or its credential
// helper. A manifest prints as its own bytes re-indented with tabs (Go's json.Indent); an index
// prints rebuilt from its entries with three-space indents (docker's manifestlist); -v prints
// docker's ImageManifest records (Ref, Descriptor, Raw, SchemaV2Manifest or OCIManifest).
// Loopback registries need no --insecure (Berth's rule everywhere; docker's CLI wants the flag).
import { isBerthError } from '../../lib/errors.js';
import { formatReference, normaliseReference } from '../../lib/reference.js';
import { goIndent, goMarshalIndent, RawJson } from '../../lib/go-json.js';
import { credentialsFor } from '../../client/registry-auth.js';
import { inspectManifest, isDockerManifest, type InspectedManifest } from '../../registry/client/inspect.js';
import { StatusError } from '../cli-error.js';
import type { CliContext } from '../context.js';
import { newCommand, parse } from '../flags.js';

type PlatformLike = Record<string, unknown> | undefined;

/** docker's manifestlist.PlatformSpec (always present in a list entry, even when empty). */
function platformSpec(p: PlatformLike): Record<string, unknown> {
  const v = p ?? {};
  return {
    architecture: v.architecture ?? '',
    os: v.os ?? '',
    'os.version': v['os.version'] || undefined,
    'os.features': Array.isArray(v['os.features']) && v['os.features'].length ? v['os.features'] : undefined,
    variant: v.variant || undefined,
    features: Array.isArray(v.features) && v.features.length ? v.features : undefined,
  };
}

/** The OCI Platform of a descriptor (omitted fields left out). */
function ociPlatform(p: PlatformLike): Record<string, unknown> | undefined {
  if (!p) return undefined;
  const { features: _f, ...rest } = platformSpec(p);
  return rest;
}

function imageManifestRecord(m: InspectedManifest): Record<string, unknown> {
  return {
    Ref: m.ref,
    Descriptor: { mediaType: m.descriptor.mediaType, digest: m.descriptor.digest, size: m.descriptor.size, platform: ociPlatform(m.descriptor.platform) },
    Raw: m.raw.toString('base64'),
    [isDockerManifest(m.descriptor.mediaType) ? 'SchemaV2Manifest' : 'OCIManifest']: new RawJson(m.raw.toString('utf8')),
  };
}

export async function manifestInspect(ctx: CliContext, argv: string[]): Promise<number> {
  const c = newCommand(ctx, {
    name: 'inspect',
    usage: '[OPTIONS] [MANIFEST_LIST] MANIFEST',
    description: 'Display an image manifest, or manifest list',
    minArgs: 1,
    maxArgs: 2,
  })
    .option('--insecure', 'Allow communication with an insecure registry')
    .option('-v, --verbose', 'Output additional info including layers and platform');
  const p = parse<{ insecure?: boolean; verbose?: boolean }>(ctx, c, argv);
  if (!p) return 0;
  // Two arguments name a list in docker's local manifest store (`docker manifest create`).
  if (p.args.length === 2) throw new StatusError(1, `No such manifest: ${p.args[1]} (local manifest lists are not supported)`);
  const ref = normaliseReference(p.args[0]!);
  const full = formatReference(ref);
  let r;
  try {
    r = await inspectManifest(p.args[0]!, { insecure: p.opts.insecure, verbose: p.opts.verbose, credentials: await credentialsFor(ref.domain, ctx.env) });
  } catch (e) {
    if (isBerthError(e, 'not-found')) throw new StatusError(1, `no such manifest: ${full}`);
    throw e;
  }
  if (r.kind === 'manifest') {
    const m = r.manifest;
    ctx.out((p.opts.verbose ? goMarshalIndent(imageManifestRecord(m), '\t') : goIndent(m.raw.toString('utf8'), '\t')) + '\n');
    return 0;
  }
  if (p.opts.verbose) {
    ctx.out(goMarshalIndent((r.children ?? []).map(imageManifestRecord), '\t') + '\n');
    return 0;
  }
  const list = {
    schemaVersion: 2,
    mediaType: r.mediaType,
    manifests: r.entries.map((e) => ({ mediaType: e.mediaType, size: e.size, digest: e.digest, platform: platformSpec(e.platform as PlatformLike) })),
  };
  ctx.out(goMarshalIndent(list, '   ') + '\n');
  return 0;
}
