// Runs one stage of a Dockerfile with classic-builder semantics: one image per instruction,
// each looked up in the build cache first. Metadata instructions commit a config-only image;
// RUN, COPY/ADD and WORKDIR commit a snapshot of a mounted workspace.
import { basename, posix } from 'node:path';
import type { Digest } from '../../lib/digest.js';
import { shortId } from '../../lib/digest.js';
import { invalidArgument, notFound, isBerthError } from '../../lib/errors.js';
import { resolveInRoot } from '../../lib/safe-path.js';
import { hostOwner, rootOwnerOf } from '../../lib/id-map.js';
import { mkdirOwned } from '../../lib/mkdir-owned.js';
import type { ImageRuntimeConfig } from '../../image/image-config.js';
import { formatPlatform, normalizePlatform, parsePlatform, platformRank, type Platform } from '../../lib/platform.js';
import { cacheKey } from '../cache/cache-key.js';
import type { BuildCache } from '../cache/build-cache.js';
import { hashPaths } from '../context/hash-paths.js';
import { literalPatterns, matchParents } from '../context/parents-match.js';
import { GlobalArgs, proxyArgs, StageScope } from '../dockerfile/arg-scope.js';
import { expandInstruction } from '../dockerfile/expand.js';
import type { AddInstruction, CopyInstruction, Instruction, RunInstruction, WorkdirInstruction } from '../dockerfile/instruction-types.js';
import { toInstruction } from '../dockerfile/instructions.js';
import { parseDockerfile } from '../dockerfile/parser.js';
import { ShellLex } from '../dockerfile/shell-lex.js';
import type { Stage, StageGraph } from '../dockerfile/stages.js';
import { applyMeta, commandOf, isMeta, nopCreatedBy, nopCreatedByString, type MetaState } from './config-ops.js';
import { parseChmod, resolveChown } from './chown.js';
import { commitMeta, commitRestored } from './commit-meta.js';
import { matchCacheFrom, type CacheSource } from '../cache/cache-from.js';
import { checksumFor, downloadSources, isUrlSource, type Download } from './add-url.js';
import { copyInto, writeInline } from './copy-files.js';
import { runContainer, scrubMountpoints } from './run-container.js';
import { cacheMountDir, runMounts } from './run-mounts.js';
import { runNetworkMode } from './run-network.js';
import { BuildStepError, canonicalInstruction, runCreatedBy } from './step-keys.js';
import type { BuildRequest, BuilderDeps } from './types.js';
import { Workspace } from './workspace.js';

export interface StageOutput {
  /** Builder text (Step lines, " ---> ..."), exactly as printed. */
  write(text: string): void;
}

export interface StageEnv {
  deps: BuilderDeps;
  /** --cache-from images present locally (undefined: none named), and all their ancestors. */
  cacheFrom?: { sources: CacheSource[]; ancestors: ReadonlySet<Digest> };
  cache: BuildCache;
  runsDir: string;
  req: BuildRequest;
  graph: StageGraph;
  /** The final image of another stage (awaited; stages it depends on are already done). */
  stageImage(index: number): Promise<Digest | null>;
  signal: AbortSignal;
}

interface State {
  imageId: Digest | null;
  meta: MetaState;
  scope: StageScope;
}

type Ref = { kind: 'stage'; index: number } | { kind: 'image'; id: Digest };

const short = (id: Digest | null) => (id ? shortId(id) : '');

export class StageRunner {
  private readonly lex: ShellLex;
  private readonly views: Workspace[] = [];
  /** --cache-from images still in play: after one restores a step, only it (as moby). */
  private cacheSources: CacheSource[];

  constructor(
    private readonly env: StageEnv,
    private readonly stage: Stage,
    private readonly out: StageOutput,
  ) {
    this.lex = new ShellLex({ escapeToken: env.graph.parsed.escapeToken });
    this.cacheSources = env.cacheFrom?.sources ?? [];
  }

  private get images() {
    return this.env.deps.images;
  }

  /**
   * The platform this stage builds for: its FROM --platform, else the build's --platform; undefined
   * (the host's, unchecked, as before platforms) when neither is given.
   */
  private get platform(): Platform | undefined {
    const p = this.stage.platform || this.env.req.platform;
    return p ? normalizePlatform(parsePlatform(p)) : undefined;
  }

  /** Cache key part for a build that names a platform (FROM scratch steps of two platforms must not share). */
  private get platformKey(): string[] {
    const p = this.platform;
    return p ? [`platform=${formatPlatform(p)}`] : [];
  }

  private platformOf(id: Digest): Platform {
    return this.images.platformOf(id);
  }

  /** Runs the stage; `steps` numbers its Step lines. Returns the stage's final image id. */
  async run(steps: { next(): string }, extra: Instruction[] = []): Promise<Digest | null> {
    try {
      this.out.write(`Step ${steps.next()} : ${this.stage.from.original}\n`);
      const st = await this.fromBase();
      if (st.imageId) this.out.write(` ---> ${short(st.imageId)}\n`);
      await this.runTriggers(st);
      for (const ins of [...this.stage.instructions, ...extra]) {
        if (this.env.signal.aborted) throw new BuildStepError('build canceled');
        this.out.write(`Step ${steps.next()} : ${ins.original}\n`);
        await this.dispatch(st, ins, extra.includes(ins));
        this.out.write(` ---> ${short(st.imageId)}\n`);
      }
      return st.imageId;
    } finally {
      for (const v of this.views.splice(0)) await v.dispose();
    }
  }

  private async fromBase(): Promise<State> {
    const { graph, req } = this.env;
    const base = this.stage.base;
    let imageId: Digest | null = null;
    if (base.kind === 'stage') imageId = await this.env.stageImage(base.index);
    else if (base.kind === 'image') imageId = await this.baseImage(base.ref);
    const config: ImageRuntimeConfig = imageId ? { ...(this.images.config(imageId).config ?? {}) } : {};
    const global = new GlobalArgs(req.buildArgs ?? {}, {}, this.lex);
    for (const [k, v] of graph.globalArgs) global.values.set(k, v);
    const scope = new StageScope(global, req.buildArgs ?? {}, config.Env ?? [], this.lex);
    return { imageId, meta: { config, cmdSet: false }, scope };
  }

  /** FROM's image: pulled when missing (or always with --pull), as the classic builder does. */
  private async baseImage(ref: string): Promise<Digest> {
    const pull = this.env.deps.pull;
    const want = this.platform;
    if (!pull) return this.checkPlatform(ref, this.resolveImage(ref));
    let local: Digest | undefined;
    if (!this.env.req.pull) {
      try {
        local = this.images.resolve(ref).id;
        // The name's image for the stage's platform; when it holds none, pull that platform (the name then holds both).
        const match = want ? this.matching(ref, want) : local;
        if (match) return match;
      } catch (e) {
        if (!isBerthError(e, 'not-found')) throw e;
      }
    }
    // The pull's lines as the docker CLI prints them without a terminal ("latest: Pulling from x").
    const r = await this.pullFor(pull, ref, want, local);
    return r.id;
  }

  /** Pulls `ref` for `want`; when that fails and a local image of another platform exists, Docker's platform error says why. */
  private async pullFor(pull: NonNullable<BuilderDeps['pull']>, ref: string, want: Platform | undefined, local: Digest | undefined): Promise<{ id: Digest }> {
    try {
      return await this.pullWithOutput(pull, ref, want);
    } catch (e) {
      if (local && !this.env.signal.aborted) this.checkPlatform(ref, local);
      throw e;
    }
  }

  private pullWithOutput(pull: NonNullable<BuilderDeps['pull']>, ref: string, want: Platform | undefined): Promise<{ id: Digest }> {
    return pull(ref, {
      signal: this.env.signal,
      ...(want ? { platform: formatPlatform(want) } : {}),
      onProgress: (m) => {
        if (m.progressDetail && (m.progressDetail.current ?? 0) > 0) return;
        this.out.write(`${m.id ? `${m.id}: ` : ''}${m.status}\n`);
      },
    });
  }

  /** The image of `ref` (among the platforms its name holds) that best serves `want`. */
  private matching(ref: string, want: Platform): Digest | undefined {
    let best: Digest | undefined;
    let bestRank = Number.POSITIVE_INFINITY;
    for (const r of this.images.resolveAll(ref)) {
      const rank = platformRank(want, this.platformOf(r.id), { fallback: true });
      if (rank >= 0 && rank < bestRank) [best, bestRank] = [r.id, rank];
    }
    return best;
  }

  /** The image of `ref` for the stage's platform, or Docker's error naming the one it has. */
  private checkPlatform(ref: string, id: Digest): Digest {
    const want = this.platform;
    if (!want) return id;
    const match = this.matching(ref, want);
    if (match) return match;
    throw notFound(
      `image with reference ${ref} was found but does not match the specified platform: wanted ${formatPlatform(want)}, actual: ${formatPlatform(this.platformOf(id))}`,
    );
  }

  private resolveImage(ref: string): Digest {
    try {
      return this.images.resolve(ref).id;
    } catch (e) {
      if (isBerthError(e, 'not-found')) {
        throw notFound(`pull access denied for ${ref}: the image is not in the local store and this builder cannot pull`);
      }
      throw e;
    }
  }

  /** ONBUILD triggers of the base image run right after FROM (and are not inherited). */
  private async runTriggers(st: State): Promise<void> {
    const triggers = st.meta.config.OnBuild ?? [];
    if (!triggers.length) return;
    st.meta = { ...st.meta, config: { ...st.meta.config, OnBuild: null } };
    this.out.write(`# Executing ${triggers.length} build trigger${triggers.length > 1 ? 's' : ''}\n`);
    for (const text of triggers) {
      const parsed = parseDockerfile(text + '\n', { file: 'ONBUILD' });
      for (const node of parsed.nodes) {
        const ins = toInstruction(node, 'ONBUILD');
        if (ins.kind === 'from' || ins.kind === 'onbuild' || ins.kind === 'maintainer')
          throw invalidArgument(`${ins.name} isn't allowed as an ONBUILD trigger`);
        await this.dispatch(st, ins, false);
      }
    }
  }

  private argValues(st: State): Record<string, string> {
    const out: Record<string, string> = {};
    for (const k of st.scope.argNames) {
      const v = st.scope.env.get(k);
      if (v !== undefined) out[k] = v;
    }
    return out;
  }

  /**
   * Looks the step up in the build cache, then in the --cache-from images. `probe` is what the
   * step would record: its history text and the runtime config of its result.
   */
  private async cached(st: State, key: Digest, probe: { createdBy: string; config: ImageRuntimeConfig }): Promise<boolean> {
    if (this.env.req.noCache) return false;
    const from = this.env.cacheFrom;
    let hit: Digest | null | undefined = this.env.cache.get(key, (id) => this.images.has(id));
    // With cache sources named, the local cache counts only along their ancestry (moby's imageCache).
    if (hit && from && !from.ancestors.has(hit)) hit = null;
    if (!hit && from) hit = await this.cachedFromSources(st, key, probe);
    if (!hit) return false;
    this.out.write(' ---> Using cache\n');
    st.imageId = hit;
    st.meta = { ...st.meta, config: { ...(this.images.config(hit).config ?? {}) } };
    return true;
  }

  private async cachedFromSources(st: State, key: Digest, probe: { createdBy: string; config: ImageRuntimeConfig }): Promise<Digest | null> {
    const parent = st.imageId ? { id: st.imageId, config: this.images.config(st.imageId) } : null;
    const m = matchCacheFrom(parent, probe.createdBy, this.cacheSources);
    if (!m) return null;
    if (m.kind === 'image') return m.id;
    const id = await commitRestored(this.images, st.imageId, m.source.id, m.entry, m.layerIndex, probe.config);
    this.cacheSources = [m.source];
    this.remember(key, id);
    return id;
  }

  private remember(key: Digest, id: Digest): void {
    this.env.cache.put(key, id);
  }

  private async dispatch(st: State, raw: Instruction, synthetic: boolean): Promise<void> {
    const ins = synthetic || raw.kind === 'arg' ? raw : expandInstruction(raw, st.scope.lookup, this.env.graph.parsed.escapeToken).instruction;
    if (ins.kind === 'arg') for (const a of ins.args) st.scope.declareArg(a.key, a.value);
    if (ins.kind === 'env') for (const e of ins.env) st.scope.setEnv(e.key, e.value);
    const args = this.argValues(st);
    if (isMeta(ins)) {
      const r = applyMeta(st.meta, ins, st.scope.committedEnv());
      for (const n of r.notes) this.out.write(n);
      const key = cacheKey({
        parent: st.imageId,
        instruction: canonicalInstruction(ins),
        args,
        extra: [`cmdSet=${st.meta.cmdSet}`, `author=${st.meta.maintainer ?? ''}`, ...this.platformKey],
      });
      const next = r.state;
      const createdBy = nopCreatedBy(st.meta.config, r.comment);
      if (!(await this.cached(st, key, { createdBy, config: next.config }))) {
        st.imageId = await commitMeta(this.images, st.imageId, next.config, createdBy, next.maintainer, this.platform);
        this.remember(key, st.imageId);
        st.meta = next;
      } else st.meta = { ...next, config: st.meta.config };
      return;
    }
    switch (ins.kind) {
      case 'run':
        return this.runStep(st, ins, args);
      case 'copy':
      case 'add':
        return this.copy(st, ins, args);
      case 'workdir':
        return this.workdir(st, ins, args);
      default:
        throw invalidArgument(`unsupported instruction in a build stage: ${ins.name}`);
    }
  }

  // ---- references to other stages and images ---------------------------------------------

  private resolveFrom(from: string): Ref {
    const stages = this.env.graph.stages;
    if (/^\d+$/.test(from)) {
      const n = Number(from);
      if (n < stages.length) return { kind: 'stage', index: n };
    }
    const named = stages.find((s) => s.name !== undefined && s.name === from.toLowerCase());
    if (named) return { kind: 'stage', index: named.index };
    return { kind: 'image', id: this.resolveImage(from) };
  }

  private async refImage(ref: Ref): Promise<Digest | null> {
    return ref.kind === 'image' ? ref.id : this.env.stageImage(ref.index);
  }

  /** A read-only mounted view of an image, released when the stage ends. */
  private async view(imageId: Digest | null): Promise<string> {
    const ws = await Workspace.open(this.images, this.env.deps.layers, this.env.runsDir, imageId, { readonly: true });
    this.views.push(ws);
    return ws.rootfs;
  }

  // ---- filesystem steps --------------------------------------------------------------------

  private async runStep(st: State, ins: RunInstruction, args: Record<string, string>): Promise<void> {
    const { deps, req, cache } = this.env;
    const cfg = st.meta.config;
    let cmd = commandOf(ins, cfg);
    if (ins.files.length && ins.prependShell) {
      const text = ins.cmd[0] ?? '';
      // A RUN that is only a heredoc runs it as a script; otherwise the shell reads the heredoc.
      cmd = /^\s*<<-?\s*["']?\w+["']?\s*$/.test(text)
        ? [...cmd.slice(0, -1), ins.files.map((f) => f.data).join('')]
        : [...cmd.slice(0, -1), text + '\n' + ins.files.map((f) => f.data + f.name + '\n').join('')];
    }
    if (!cmd.length) throw invalidArgument('RUN requires at least one argument');
    const network = runNetworkMode(ins.network, req.network);
    const sources: string[] = [];
    for (const m of ins.mounts) {
      if (m.type !== 'bind') continue;
      if (m.from) sources.push(`bind-from:${(await this.refImage(this.resolveFrom(m.from))) ?? 'scratch'}:${m.source ?? '/'}`);
      else sources.push(`bind:${(await hashPaths(req.contextDir, [m.source ?? '/'], { digests: req.contextDigests, index: req.contextIndex })).digest}`);
    }
    const key = cacheKey({
      parent: st.imageId,
      instruction: { kind: 'run', cmd, mounts: ins.mounts },
      args,
      sources,
      extra: [`network=${network}`, `author=${st.meta.maintainer ?? ''}`, ...this.platformKey],
    });
    const cfgEnv = cfg.Env ?? [];
    const historyArgs = Object.fromEntries(Object.entries(args).filter(([k]) => !cfgEnv.some((e) => e.startsWith(k + '='))));
    const createdBy = runCreatedBy(historyArgs, cmd);
    if (await this.cached(st, key, { createdBy, config: cfg })) return;

    // Build args reach the process as env (ENV of the same name wins); proxy args need no ARG.
    const envMap = new Map<string, string>();
    for (const [k, v] of Object.entries(req.buildArgs ?? {})) if (proxyArgs.includes(k)) envMap.set(k, v);
    for (const [k, v] of Object.entries(args)) envMap.set(k, v);
    for (const e of cfgEnv) envMap.delete(e.slice(0, e.indexOf('=') < 0 ? e.length : e.indexOf('=')));
    const env = [...cfgEnv, ...[...envMap].map(([k, v]) => `${k}=${v}`)];
    if (!env.some((e) => e.startsWith('PATH='))) env.unshift('PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin');

    const ws = await Workspace.open(this.images, deps.layers, this.env.runsDir, st.imageId);
    // Cache mounts count as used (and are kept from prune) while the step runs.
    const releases = ins.mounts
      .filter((m) => m.type === 'cache')
      .map((m) => cache.useMount(basename(cacheMountDir(cache.mountsDir, m)), `cached mount ${m.target} from exec ${cmd.join(' ')}`));
    try {
      // A foreign base image's RUN needs its emulator registered (lazily, once per arch).
      if (st.imageId && deps.emulation) await deps.emulation.ensure(this.platformOf(st.imageId));
      this.out.write(` ---> Running in ${ws.shortId}\n`);
      const mounts = await runMounts(ins.mounts, {
        contextDir: req.contextDir,
        cacheDir: cache.mountsDir,
        scratchDir: ws.dir,
        fromRoot: async (from) => this.view(await this.refImage(this.resolveFrom(from))),
        ...(deps.spec.userns ? { userns: deps.spec.userns } : {}),
      });
      const r = await runContainer(ws, {
        runtime: deps.runtime,
        monitor: deps.monitor,
        cgroupParent: deps.spec.cgroupParent,
        noNewPrivileges: deps.spec.noNewPrivileges ?? false,
        ...(deps.spec.userns ? { userns: deps.spec.userns } : {}),
        args: cmd,
        env,
        cwd: cfg.WorkingDir || '/',
        user: cfg.User ?? '',
        mounts,
        network,
        networks: deps.networks,
        dns: deps.dns,
        extraHosts: req.extraHosts,
        // dockerd's streamformatter.NewStderrWriter: each stderr chunk red, reset at its end.
        onOutput: (t, stream) => this.out.write(stream === 2 ? `\u001b[91m${t}\u001b[0m` : t),
        signal: this.env.signal,
      });
      if (this.env.signal.aborted) throw new BuildStepError('build canceled');
      if (r.exitCode !== 0) throw new BuildStepError(`The command '${cmd.join(' ')}' returned a non-zero code: ${r.exitCode}`, r.exitCode);
      await ws.unmount();
      await scrubMountpoints(deps.layers.upperDir(ws.key), r.createdMountpoints);
      st.imageId = await ws.commit({ config: cfg, createdBy, author: st.meta.maintainer, signal: this.env.signal, platform: this.platform });
      this.out.write(` ---> Removed intermediate container ${ws.shortId}\n`);
      this.remember(key, st.imageId);
    } finally {
      for (const r of releases) r();
      await ws.dispose();
    }
  }

  private destOf(cfg: ImageRuntimeConfig, dest: string): { path: string; isDir: boolean } {
    const isDir = dest.endsWith('/') || dest === '.' || dest.endsWith('/.') || dest === '';
    const path = dest.startsWith('/') ? dest : posix.join(cfg.WorkingDir || '/', dest);
    return { path: posix.normalize(path), isDir };
  }

  private async copy(st: State, ins: CopyInstruction | AddInstruction, args: Record<string, string>): Promise<void> {
    // URL sources are downloaded first, every time: their content is part of the cache key.
    const checksum = ins.kind === 'add' ? checksumFor(ins.sources, ins.checksum) : undefined;
    const dl = ins.kind === 'add' ? await downloadSources(ins.sources, { parentDir: this.env.runsDir, checksum, signal: this.env.signal }) : undefined;
    try {
      await this.copyStep(st, ins, args, dl?.files ?? []);
    } finally {
      await dl?.dispose();
    }
  }

  private async copyStep(st: State, ins: CopyInstruction | AddInstruction, args: Record<string, string>, downloads: Download[]): Promise<void> {
    const { deps, req } = this.env;
    const cfg = st.meta.config;
    const parents = ins.kind === 'copy' && ins.parents;
    const from = ins.kind === 'copy' && ins.from ? this.resolveFrom(ins.from) : undefined;
    const fromImage = from ? await this.refImage(from) : undefined;
    const dest = this.destOf(cfg, ins.dest);
    const chmod = parseChmod(ins.chmod);
    let contentKey: string;
    let hashText: string;
    if (from) {
      contentKey = `from:${fromImage ?? 'scratch'}:${JSON.stringify(ins.sources)}`;
      hashText = `multi:${cacheKey({ parent: fromImage ?? null, instruction: ins.sources }).slice(7)}`;
    } else {
      let local = ins.sources.filter((s) => !isUrlSource(s));
      // --parents: hash exactly the entries it copies (its `**` and pivots are not COPY globs).
      if (parents && local.length) local = literalPatterns(await matchParents(req.contextDir, local));
      const h = local.length
        ? await hashPaths(req.contextDir, local, { exclude: ins.exclude, digests: req.contextDigests, index: req.contextIndex })
        : { digest: 'sha256:' + '0'.repeat(64), files: [] };
      contentKey = h.digest;
      const one = local.length === 1 && h.files.length <= 1 && ins.inline.length === 0;
      hashText = `${one ? 'file' : h.files.length > 1 && local.length === 1 ? 'dir' : 'multi'}:${h.digest.slice(7)}`;
      if (downloads.length === 1 && !local.length && !ins.inline.length) hashText = `file:${downloads[0]!.digest.slice(7)}`;
      else if (downloads.length) hashText = `multi:${cacheKey({ parent: null, instruction: [h.digest, ...downloads.map((d) => d.digest)] }).slice(7)}`;
    }
    const inlineKey = ins.inline.map((f) => `${f.name}\n${f.data}`);
    const urlKey = downloads.map((d) => `url:${d.url}:${d.digest}:${d.name ?? ''}`);
    const key = cacheKey({
      parent: st.imageId,
      instruction: canonicalInstruction(ins),
      args,
      sources: [contentKey, ...inlineKey, ...urlKey],
      extra: [`dest=${dest.path}`, `author=${st.meta.maintainer ?? ''}`, ...this.platformKey],
    });
    const createdBy = nopCreatedByString(cfg, `${ins.name} ${hashText} in ${ins.dest} `);
    if (await this.cached(st, key, { createdBy, config: cfg })) return;

    const srcRoot = from ? await this.view(fromImage ?? null) : req.contextDir;
    const ws = await Workspace.open(this.images, deps.layers, this.env.runsDir, st.imageId);
    try {
      // --chown names the image's ids; under --userns-remap the files carry the host ids they map to.
      const chown = await resolveChown(ws.rootfs, ins.chown);
      const owner = hostOwner(deps.spec.userns, chown.uid, chown.gid);
      if (ins.sources.length) {
        await copyInto(ws.rootfs, {
          srcRoot,
          sources: ins.sources,
          dest: dest.path,
          destIsDir: dest.isDir || parents,
          owner,
          chmod,
          exclude: ins.exclude,
          extractArchives: ins.kind === 'add' && ins.unpack !== false,
          ...(deps.spec.userns ? { archiveOwner: hostOwner(deps.spec.userns, 0, 0) } : {}),
          instruction: ins.name === 'ADD' ? 'ADD' : 'COPY',
          parents,
          downloads,
          unpackDownloads: ins.kind === 'add' && ins.unpack === true,
          // From the build context (which berthd never rewrites in place), files may be hard-linked into the layer.
          ...(!from && !ins.inline.length ? { linkUpper: deps.layers.upperDir(ws.key) } : {}),
        });
      }
      if (ins.inline.length) await writeInline(ws.rootfs, ins.inline, dest.path, dest.isDir, owner, chmod);
      st.imageId = await ws.commit({
        config: cfg,
        createdBy,
        author: st.meta.maintainer,
        signal: this.env.signal,
        platform: this.platform,
      });
      this.remember(key, st.imageId);
    } finally {
      await ws.dispose();
    }
  }

  private async workdir(st: State, ins: WorkdirInstruction, args: Record<string, string>): Promise<void> {
    const prev = st.meta.config;
    const path = posix.normalize(ins.path.startsWith('/') ? ins.path : posix.join(prev.WorkingDir || '/', ins.path));
    const cfg: ImageRuntimeConfig = { ...prev, WorkingDir: path };
    const key = cacheKey({
      parent: st.imageId,
      instruction: { kind: 'workdir', path },
      args,
      extra: [`author=${st.meta.maintainer ?? ''}`, ...this.platformKey],
    });
    const createdBy = nopCreatedByString(prev, `WORKDIR ${path}`);
    if (await this.cached(st, key, { createdBy, config: cfg })) return;
    if (path === '/') {
      st.imageId = await commitMeta(this.images, st.imageId, cfg, createdBy, st.meta.maintainer, this.platform);
    } else {
      // The directory is made (owned by the container's root) only if missing: an existing one gives an empty layer.
      const ws = await Workspace.open(this.images, this.env.deps.layers, this.env.runsDir, st.imageId);
      try {
        await mkdirOwned(await resolveInRoot(ws.rootfs, path), 0o755, rootOwnerOf(this.env.deps.spec.userns));
        st.imageId = await ws.commit({ config: cfg, createdBy, author: st.meta.maintainer, signal: this.env.signal, platform: this.platform });
      } finally {
        await ws.dispose();
      }
    }
    st.meta = { ...st.meta, config: cfg };
    this.remember(key, st.imageId);
  }
}
