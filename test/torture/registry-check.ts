// The torture driver's oracle for Berth's registry store after a kill -9 (of the server during a
// blob upload, or of `berth registry gc`): no half-written blob is visible (every file under
// blobs/ hashes to its name), every tag and manifest revision names a manifest whose config,
// layers and children are all there, and every upload session left behind is resumable (the
// restarted server answers its status with the Range its data file holds) or gone.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';

const list = (p: string) => readdir(p).catch(() => [] as string[]);

async function sha256File(p: string): Promise<string> {
  const h = createHash('sha256');
  for await (const c of createReadStream(p)) h.update(c as Buffer);
  return h.digest('hex');
}

/** Descriptors a manifest or index names: config, layers, children. */
function referenced(bytes: Buffer): string[] {
  const m = JSON.parse(bytes.toString()) as { config?: { digest: string }; layers?: { digest: string }[]; manifests?: { digest: string }[] };
  return [m.config, ...(m.layers ?? []), ...(m.manifests ?? [])].filter((x): x is { digest: string } => !!x).map((x) => x.digest.replace(/^sha256:/, ''));
}

/** Returns what is wrong with the store (empty when consistent); `url` is the restarted server. */
export async function registryProblems(root: string, url: string): Promise<{ problems: string[]; blobs: number; uploads: number }> {
  const problems: string[] = [];
  const blobDir = join(root, 'blobs', 'sha256');
  const blobs = (await list(blobDir)).filter((n) => !n.startsWith('.'));
  for (const hex of blobs) {
    const got = await sha256File(join(blobDir, hex));
    if (got !== hex) problems.push(`blob ${hex} holds bytes of sha256:${got} (a half-written blob is visible)`);
  }
  const have = new Set(blobs);
  for (const repo of await reposUnder(join(root, 'repositories'))) {
    const revDir = join(root, 'repositories', repo, '_manifests', 'revisions', 'sha256');
    // A temp name is a write a kill cut off: the server never reads one as a revision (gc removes it).
    const revisions = (await list(revDir)).filter((n) => !n.startsWith('.'));
    for (const hex of revisions) {
      if (!have.has(hex)) {
        problems.push(`${repo}: revision ${hex} has no manifest blob`);
        continue;
      }
      for (const ref of referenced(await readFile(join(blobDir, hex))))
        if (!have.has(ref)) problems.push(`${repo}@${hex.slice(0, 12)} names missing blob ${ref}`);
    }
    const tagDir = join(root, 'repositories', repo, '_manifests', 'tags');
    for (const tag of (await list(tagDir)).filter((n) => !n.startsWith('.'))) {
      const target = (await readFile(join(tagDir, tag), 'utf8')).trim().replace(/^sha256:/, '');
      if (!have.has(target)) problems.push(`${repo}:${tag} points at missing manifest ${target}`);
    }
  }
  const uploadsDir = join(root, 'uploads');
  const uploads = (await list(uploadsDir)).filter((n) => !n.startsWith('.'));
  for (const id of uploads) {
    const state = JSON.parse(await readFile(join(uploadsDir, id, 'state.json'), 'utf8').catch(() => '{}')) as { repo?: string; size?: number };
    if (!state.repo) {
      problems.push(`upload ${id} has no state.json the server could resume from`);
      continue;
    }
    const r = await fetch(`${url}/v2/${state.repo}/blobs/uploads/${id}`);
    await r.arrayBuffer();
    const size = (await stat(join(uploadsDir, id, 'data')).catch(() => undefined))?.size ?? 0;
    const want = size === 0 ? '0-0' : `0-${size - 1}`;
    if (r.status !== 204 || r.headers.get('range') !== want)
      problems.push(`upload ${id} of ${state.repo}: status ${r.status} Range ${r.headers.get('range')}, data holds ${size} bytes`);
  }
  return { problems, blobs: blobs.length, uploads: uploads.length };
}

/** Repository names (they may have slashes): directories holding a _manifests or _layers folder. */
async function reposUnder(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    if (!e.isDirectory() || e.name.startsWith('_')) continue;
    const name = prefix ? `${prefix}/${e.name}` : e.name;
    const kids = await list(join(dir, e.name));
    if (kids.includes('_manifests') || kids.includes('_layers')) out.push(name);
    out.push(...(await reposUnder(join(dir, e.name), name)));
  }
  return out;
}
