// `berth build` client side, as the docker CLI does it: the context directory as a tar with
// .dockerignore applied before sending (the Dockerfile and ignore files are always sent), and a
// Dockerfile from outside the context added under a random name.
// The .dockerignore matcher is the one the builder uses (src/lib/dockerignore.ts), so client and
// daemon agree on every pattern. The CLI does nothing else meanwhile, so the walk and small file
// reads are synchronous: async calls cost a thread-pool round trip per file, which dominated
// the packing of contexts with thousands of files, and the tar is written by lib/tar-write.ts
// straight into large chunks.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { join, posix, relative, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { TarWriter } from '../lib/tar-write.js';
import { isDir, isFile, isSymlink, pathStat, type PathStat } from './path-stat.js';
import { ignoreFileCandidates, parseDockerignore, PatternMatcher, withAlwaysSent } from '../lib/dockerignore.js';

export interface PackedContext {
  tar: Readable;
  /** The `dockerfile` query parameter: context-relative path of the Dockerfile in the tar. */
  dockerfile: string;
}

export interface Entry {
  rel: string;
  abs: string;
  st: PathStat;
}

function walk(root: string, rel: string, pm: PatternMatcher | undefined, out: Entry[]): void {
  const base = root.endsWith('/') ? root : `${root}/`; // root is absolute and resolved: plain joins
  for (const name of readdirSync(rel ? base + rel : root).sort()) {
    const r = rel ? `${rel}/${name}` : name;
    const abs = base + r;
    const st = pathStat(abs);
    const ignored = pm?.matches(r) ?? false;
    if (isDir(st)) {
      // An ignored dir is skipped unless an exclusion (`!`) might re-include something inside.
      if (ignored && !pm!.hasExclusions) continue;
      if (!ignored) out.push({ rel: r, abs, st });
      walk(root, r, pm, out);
      continue;
    }
    if (!ignored) out.push({ rel: r, abs, st });
  }
}

/** What a context sends: the walked entries, plus the Dockerfile from elsewhere and the .dockerignore naming it. */
export interface CollectedContext {
  root: string;
  entries: Entry[];
  /** Extra files (a Dockerfile from outside the context, the .dockerignore naming it), after the entries. */
  extras: Array<{ name: string; data: Buffer }>;
  dockerfile: string;
}

/**
 * Walks `contextDir` as the docker CLI does; `dockerfile` is the -f value (relative to cwd) or
 * undefined; `dockerfileText` replaces it (-f -). `extraName` names an added Dockerfile (the
 * docker CLI's random `.dockerfile.<hex>` unless given).
 */
export async function collectContext(
  contextDir: string,
  dockerfile: string | undefined,
  dockerfileText?: Buffer,
  extraName: (data: Buffer) => string = () => `.dockerfile.${randomBytes(10).toString('hex')}`,
): Promise<CollectedContext> {
  const root = resolve(contextDir);
  let dfRel = 'Dockerfile';
  let extra: { name: string; data: Buffer } | undefined;
  if (dockerfileText) {
    extra = { name: extraName(dockerfileText), data: dockerfileText };
    dfRel = extra.name;
  } else if (dockerfile) {
    const abs = resolve(dockerfile);
    const rel = relative(root, abs);
    if (rel.startsWith('..') || rel === '' || resolve(root, rel) !== abs) {
      const data = await readFile(abs);
      extra = { name: extraName(data), data };
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
  const extras: Array<{ name: string; data: Buffer }> = [];
  if (extra) {
    const own = entries.find((e) => e.rel === '.dockerignore' && isFile(e.st));
    const text = own ? readFileSync(own.abs, 'utf8') : '.dockerignore';
    entries = entries.filter((e) => e !== own);
    extras.push(extra, { name: '.dockerignore', data: Buffer.from(`${text}\n${extra.name}\n`) });
  }
  return { root, entries, extras, dockerfile: posix.normalize(dfRel) };
}

/** Packs `contextDir` as a tar for POST /build (see collectContext for the arguments). */
export async function packContext(contextDir: string, dockerfile: string | undefined, dockerfileText?: Buffer): Promise<PackedContext> {
  const { entries, extras, dockerfile: dfRel } = await collectContext(contextDir, dockerfile, dockerfileText);
  return { tar: readableOf(tarChunks(entries, extras)), dockerfile: dfRel };
}

/**
 * The context as tar chunks, made synchronously between two sends (see tar-write.ts): the
 * stream pulls the next chunk only when the socket has taken the last, so memory stays bounded.
 */
function* tarChunks(entries: readonly Entry[], extras: ReadonlyArray<{ name: string; data: Buffer }>): Generator<Buffer> {
  const w = new TarWriter();
  for (const { rel, abs, st } of entries) {
    const mtime = Math.floor(st.mtimeMs / 1000);
    const mode = st.mode & 0o7777;
    if (isDir(st)) w.header({ name: rel, type: 'directory', mode, mtime });
    else if (isSymlink(st)) w.header({ name: rel, type: 'symlink', mode, mtime, linkname: readlinkSync(abs) });
    else if (isFile(st)) {
      w.header({ name: rel, type: 'file', mode, mtime, size: st.size });
      w.file(abs, st.size);
    } else continue; // sockets, fifos, devices: the docker CLI sends none of them either
    yield* w.take();
  }
  const now = Math.floor(Date.now() / 1000);
  for (const x of extras) {
    w.header({ name: x.name, type: 'file', mode: 0o644, mtime: now, size: x.data.length });
    w.data(x.data);
  }
  w.end();
  yield* w.take();
}

/**
 * `Readable.from(chunks)`, node:stream loaded only here: a build whose context goes as bytes
 * (berth build's incremental context, context-sync.ts) never loads it. getBuiltinModule rather
 * than import(): the CLI bundle runs as a vm.Script (bin/berth), where import() has no loader.
 */
export function readableOf(chunks: Iterable<Buffer>): Readable {
  const { Readable: R } = process.getBuiltinModule('node:stream') as typeof import('node:stream');
  return R.from(chunks, { objectMode: false });
}
