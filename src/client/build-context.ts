// `berth build` client side, as the docker CLI does it: the context directory as a tar with
// .dockerignore applied before sending (the Dockerfile and ignore files are always sent), and a
// Dockerfile from outside the context added under a random name.
// The .dockerignore matcher is the one the builder uses (src/lib/dockerignore.ts), so client and
// daemon agree on every pattern. The CLI does nothing else meanwhile, so the walk and small file
// reads are synchronous: async calls cost a thread-pool round trip per file, which dominated
// the packing of contexts with thousands of files.
import { createReadStream, lstatSync, readdirSync, readFileSync, readlinkSync, type Stats } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { join, posix, relative, resolve, sep } from 'node:path';
import { Readable } from 'node:stream';
import tarStream from 'tar-stream';
import { ignoreFileCandidates, parseDockerignore, PatternMatcher, withAlwaysSent } from '../lib/dockerignore.js';

export interface PackedContext {
  tar: Readable;
  /** The `dockerfile` query parameter: context-relative path of the Dockerfile in the tar. */
  dockerfile: string;
}

interface Entry {
  rel: string;
  abs: string;
  st: Stats;
}

const READ_WHOLE = 1 << 20; // files below this size are read in one call, larger ones streamed

function walk(root: string, rel: string, pm: PatternMatcher | undefined, out: Entry[]): void {
  for (const name of readdirSync(rel ? join(root, rel) : root).sort()) {
    const r = rel ? `${rel}/${name}` : name;
    const abs = join(root, r);
    const st = lstatSync(abs);
    const ignored = pm?.matches(r) ?? false;
    if (st.isDirectory()) {
      // An ignored dir is skipped unless an exclusion (`!`) might re-include something inside.
      if (ignored && !pm!.hasExclusions) continue;
      if (!ignored) out.push({ rel: r, abs, st });
      walk(root, r, pm, out);
      continue;
    }
    if (!ignored) out.push({ rel: r, abs, st });
  }
}

/** Packs `contextDir`; `dockerfile` is the -f value (relative to cwd) or undefined; `dockerfileText` replaces it (-f -). */
export async function packContext(contextDir: string, dockerfile: string | undefined, dockerfileText?: Buffer): Promise<PackedContext> {
  const root = resolve(contextDir);
  let dfRel = 'Dockerfile';
  let extra: { name: string; data: Buffer } | undefined;
  if (dockerfileText) {
    extra = { name: `.dockerfile.${randomBytes(10).toString('hex')}`, data: dockerfileText };
    dfRel = extra.name;
  } else if (dockerfile) {
    const abs = resolve(dockerfile);
    const rel = relative(root, abs);
    if (rel.startsWith('..') || rel === '' || resolve(root, rel) !== abs) {
      extra = { name: `.dockerfile.${randomBytes(10).toString('hex')}`, data: await readFile(abs) };
      dfRel = extra.name;
    } else dfRel = rel.split(sep).join('/');
  }
  let patterns: string[] = [];
  let ignoreFile: string | undefined;
  for (const cand of ignoreFileCandidates(dfRel)) {
    const text = await readFile(join(root, cand), 'utf8').catch(() => undefined);
    if (text === undefined) continue;
    patterns = parseDockerignore(text);
    ignoreFile = cand;
    break;
  }
  const pm = patterns.length ? new PatternMatcher(withAlwaysSent(patterns, dfRel, ignoreFile)) : undefined;
  let entries: Entry[] = [];
  walk(root, '', pm, entries);
  // As the docker CLI (AddDockerfileToBuildContext): the added Dockerfile is named in the
  // .dockerignore sent with it (the context's own, else one naming itself), so the daemon
  // drops both from the context once it has read them and `COPY . /` copies neither.
  let ignoreEntry: { name: string; data: Buffer } | undefined;
  if (extra) {
    const own = entries.find((e) => e.rel === '.dockerignore' && e.st.isFile());
    const text = own ? readFileSync(own.abs, 'utf8') : '.dockerignore';
    entries = entries.filter((e) => e !== own);
    ignoreEntry = { name: '.dockerignore', data: Buffer.from(`${text}\n${extra.name}\n`) };
  }
  const pack = tarStream.pack();
  void (async () => {
    try {
      for (const { rel, abs, st } of entries) {
        const base = { name: rel, mode: st.mode & 0o7777, mtime: st.mtime, uid: 0, gid: 0 };
        if (st.isDirectory()) await entry(pack, { ...base, type: 'directory' });
        else if (st.isSymbolicLink()) await entry(pack, { ...base, type: 'symlink', linkname: readlinkSync(abs) });
        else if (st.isFile() && st.size < READ_WHOLE) {
          const data = readFileSync(abs);
          await entry(pack, { ...base, type: 'file', size: data.length }, data);
        } else if (st.isFile()) await entry(pack, { ...base, type: 'file', size: st.size }, createReadStream(abs, { highWaterMark: READ_WHOLE }));
      }
      for (const x of [extra, ignoreEntry])
        if (x) await entry(pack, { name: x.name, mode: 0o644, mtime: new Date(), type: 'file', size: x.data.length }, x.data);
      pack.finalize();
    } catch (err) {
      pack.destroy(err as Error);
    }
  })();
  // tar-stream's pack is a streamx stream: wrap it so the HTTP client streams it like any Readable.
  return { tar: Readable.from(pack), dockerfile: posix.normalize(dfRel) };
}

/** Adds one entry; resolves once tar-stream has taken it (so memory stays bounded by backpressure). */
function entry(pack: tarStream.Pack, header: Partial<tarStream.Header> & { name: string }, body?: Readable | Buffer): Promise<void> {
  return new Promise((res, rej) => {
    const done = (err?: Error | null) => (err ? rej(err) : res());
    if (!body) {
      pack.entry(header, done);
      return;
    }
    if (Buffer.isBuffer(body)) {
      pack.entry(header, body, done);
      return;
    }
    body.on('error', rej).pipe(pack.entry(header, done));
  });
}
