// Manifests (spec end-3, end-7, end-9): GET/HEAD/PUT/DELETE by tag or digest. A PUT is checked
// whole before anything is written: size (4 MiB), media type, descriptors, every blob and child
// manifest present in the repository, the digest in the URL; then the bytes, the revision, the
// referrers entry and last the tag (a tag never points at a manifest that is not there).
import type { Digest } from '../../../lib/digest.js';
import { sha256 } from '../../../lib/digest.js';
import { repoScope, type RegistryRoute } from '../access.js';
import { digestInvalid, manifestBlobUnknown, manifestInvalid, manifestTooLarge, manifestUnknown, nameUnknown } from '../errors.js';
import { checkManifest, type CheckedManifest } from '../manifest-check.js';
import { isTag, parseManifestRef, parseRepoName } from '../names.js';
import type { RegistryStorage } from '../storage.js';

export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

const name = (p: Record<string, string>) => parseRepoName(p.name!);

async function readManifestBody(body: AsyncIterable<Buffer>, declared: string | undefined): Promise<Buffer> {
  if (declared !== undefined && Number(declared) > MAX_MANIFEST_BYTES)
    throw manifestTooLarge(`manifest over ${MAX_MANIFEST_BYTES} bytes`, { limit: MAX_MANIFEST_BYTES });
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of body) {
    size += c.length;
    if (size > MAX_MANIFEST_BYTES) throw manifestTooLarge(`manifest over ${MAX_MANIFEST_BYTES} bytes`, { limit: MAX_MANIFEST_BYTES });
    chunks.push(c);
  }
  return Buffer.concat(chunks);
}

export function manifestRoutes({ storage }: { storage: RegistryStorage }): RegistryRoute[] {
  /** The manifest's digest in `repo` for a tag or digest reference; MANIFEST_UNKNOWN when absent. */
  async function resolve(repo: string, ref: string): Promise<Digest> {
    const r = parseManifestRef(ref);
    const d = 'digest' in r ? r.digest : await storage.getTag(repo, r.tag);
    if (d === undefined || !(await storage.getRevision(repo, d))) {
      if (!(await storage.repoExists(repo))) throw nameUnknown(undefined, { name: repo });
      throw manifestUnknown(undefined, 'tag' in r ? { tag: r.tag } : { digest: r.digest });
    }
    return d;
  }

  async function checkReferences(repo: string, m: CheckedManifest): Promise<void> {
    for (const b of m.blobs) {
      // Touched first: from here the garbage collector's grace period covers it (see gc.ts).
      const size = (await storage.isBlobLinked(repo, b.digest)) && (await storage.touchBlob(b.digest)) ? await storage.blobSize(b.digest) : undefined;
      if (size === undefined) throw manifestBlobUnknown(undefined, { digest: b.digest });
      if (size !== b.size) throw manifestInvalid("a descriptor's size does not match its blob", { digest: b.digest, size: b.size, actual: size });
    }
    for (const c of m.manifests) {
      if (!(await storage.getRevision(repo, c.digest)) || !(await storage.touchBlob(c.digest)))
        throw manifestBlobUnknown('index names a manifest unknown to the repository', { digest: c.digest });
    }
  }

  return [
    {
      method: 'GET',
      path: '/v2/{name*}/manifests/{reference}',
      scopes: (p) => [repoScope(p.name!, 'pull')],
      handler: async (ctx) => {
        const repo = name(ctx.params);
        const d = await resolve(repo, ctx.params.reference!);
        const rev = (await storage.getRevision(repo, d))!;
        const bytes = await storage.readBlob(d).catch(() => {
          throw manifestUnknown('manifest revision without its bytes', { digest: d });
        });
        ctx.res.writeHead(200, { 'Content-Type': rev.mediaType, 'Docker-Content-Digest': d, 'Content-Length': bytes.length, ETag: `"${d}"` });
        ctx.res.end(ctx.req.method === 'HEAD' ? undefined : bytes);
      },
    },
    {
      method: 'PUT',
      path: '/v2/{name*}/manifests/{reference}',
      scopes: (p) => [repoScope(p.name!, 'pull', 'push')],
      handler: async (ctx) => {
        const repo = name(ctx.params);
        const ref = parseManifestRef(ctx.params.reference!);
        const extraTags = ctx.query.all('tag'); // spec end-7b: PUT by digest with ?tag=...
        for (const t of extraTags) if (!isTag(t)) throw manifestInvalid('invalid tag', { tag: t });
        const body = await readManifestBody(ctx.body, ctx.req.headers['content-length']);
        const contentType = (ctx.req.headers['content-type'] ?? '').split(';')[0]!.trim();
        const m = checkManifest(body, contentType);
        const d = sha256(body);
        if ('digest' in ref && ref.digest !== d) throw digestInvalid('manifest digest does not match the reference', { expected: ref.digest, computed: d });
        await checkReferences(repo, m);
        await storage.putBlobBytes(body, d);
        await storage.putRevision(repo, d, { mediaType: m.mediaType });
        if (m.subject) {
          await storage.addReferrer(repo, m.subject.digest, {
            mediaType: m.mediaType,
            digest: d,
            size: body.length,
            ...(m.artifactType !== undefined ? { artifactType: m.artifactType } : {}),
            ...(m.annotations !== undefined ? { annotations: m.annotations } : {}),
          });
          // Tells the client this registry indexed the subject (it need not maintain a referrers tag).
          ctx.res.setHeader('OCI-Subject', m.subject.digest);
        }
        for (const t of ['tag' in ref ? ref.tag : undefined, ...extraTags]) if (t !== undefined) await storage.setTag(repo, t, d);
        ctx.res.writeHead(201, { Location: `/v2/${repo}/manifests/${d}`, 'Docker-Content-Digest': d, 'Content-Length': 0 }).end();
      },
    },
    {
      method: 'DELETE',
      path: '/v2/{name*}/manifests/{reference}',
      scopes: (p) => [repoScope(p.name!, 'delete')],
      handler: async (ctx) => {
        const repo = name(ctx.params);
        const ref = parseManifestRef(ctx.params.reference!);
        if ('tag' in ref) {
          // Deleting a tag removes only the tag (spec v1.1); the manifest stays by digest.
          if (!(await storage.deleteTag(repo, ref.tag))) {
            if (!(await storage.repoExists(repo))) throw nameUnknown(undefined, { name: repo });
            throw manifestUnknown(undefined, { tag: ref.tag });
          }
        } else {
          const d = await resolve(repo, ref.digest);
          const bytes = await storage.readBlob(d);
          const m = (() => {
            try {
              return checkManifest(bytes, '');
            } catch {
              return undefined;
            }
          })();
          for (const t of await storage.listTags(repo)) if ((await storage.getTag(repo, t)) === d) await storage.deleteTag(repo, t);
          if (m?.subject) await storage.removeReferrer(repo, m.subject.digest, d);
          await storage.deleteRevision(repo, d);
        }
        ctx.res.writeHead(202, { 'Content-Length': 0 }).end();
      },
    },
  ];
}
