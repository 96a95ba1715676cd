// Connects the container domain's ImageSource to the image store: Docker's image config
// (PascalCase, a file format) becomes the container domain's defaults and back for commit.
import type { ImageStore } from '../image/image-store.js';
import type { ImageRuntimeConfig } from '../image/image-config.js';
import { commitImage } from '../image/commit.js';
import { topChainId } from '../image/image-record.js';
import { notFound } from '../lib/errors.js';
import { formatPlatform, normalizePlatform, platformRank, type Platform } from '../lib/platform.js';
import type { ImageDefaults, ImageSource, CommitRequest, ResolvedImage } from '../container/image-source.js';
import type { HealthcheckConfig } from '../container/container-record.js';

function healthFrom(h: ImageRuntimeConfig['Healthcheck']): HealthcheckConfig | undefined {
  if (!h) return undefined;
  return { test: h.Test ?? [], interval: h.Interval, timeout: h.Timeout, startPeriod: h.StartPeriod, startInterval: h.StartInterval, retries: h.Retries };
}

export function defaultsFrom(c: ImageRuntimeConfig | undefined): ImageDefaults {
  return {
    cmd: c?.Cmd ?? [],
    entrypoint: c?.Entrypoint ?? [],
    env: c?.Env ?? [],
    workingDir: c?.WorkingDir ?? '',
    user: c?.User ?? '',
    labels: c?.Labels ?? {},
    exposedPorts: c?.ExposedPorts ?? {},
    volumes: c?.Volumes ?? {},
    stopSignal: c?.StopSignal || undefined,
    healthcheck: healthFrom(c?.Healthcheck),
    onBuild: c?.OnBuild ?? undefined,
    shell: c?.Shell ?? undefined,
    argsEscaped: c?.ArgsEscaped,
  };
}

export function runtimeConfigFrom(c: CommitRequest['config']): ImageRuntimeConfig {
  const out: ImageRuntimeConfig = {
    Hostname: c.hostname ?? '',
    Domainname: c.domainname ?? '',
    User: c.user,
    AttachStdin: false,
    AttachStdout: false,
    AttachStderr: false,
    Tty: c.tty ?? false,
    OpenStdin: c.openStdin ?? false,
    StdinOnce: false,
    Env: c.env,
    Cmd: c.cmd.length ? c.cmd : null,
    Image: '',
    Volumes: Object.keys(c.volumes).length ? c.volumes : null,
    WorkingDir: c.workingDir,
    Entrypoint: c.entrypoint.length ? c.entrypoint : null,
    // Docker's image configs say null, not [], when there is no ONBUILD trigger (docker-py reads it).
    OnBuild: c.onBuild?.length ? c.onBuild : null,
    Labels: c.labels,
  } as ImageRuntimeConfig;
  if (Object.keys(c.exposedPorts).length) out.ExposedPorts = c.exposedPorts;
  if (c.stopSignal) out.StopSignal = c.stopSignal;
  if (c.shell) out.Shell = c.shell;
  if (c.healthcheck) {
    const h = c.healthcheck;
    out.Healthcheck = {
      Test: h.test,
      Interval: h.interval,
      Timeout: h.timeout,
      StartPeriod: h.startPeriod,
      StartInterval: h.startInterval,
      Retries: h.retries,
    };
  }
  return out;
}

export class StoreImageSource implements ImageSource {
  constructor(private readonly store: ImageStore) {}

  async resolve(ref: string, want?: Platform): Promise<ResolvedImage> {
    // A name may hold several platforms: --platform picks the best of them; without it, the one the name shows.
    const all = this.store.resolveAll(ref);
    let rec = all[0]!;
    if (want) {
      const ranked = all
        .map((r) => ({ r, rank: platformRank(want, this.store.platformOf(r.id), { fallback: true }) }))
        .filter((x) => x.rank >= 0)
        .sort((a, b) => a.rank - b.rank);
      if (!ranked[0])
        throw notFound(
          `image with reference ${ref} was found but does not match the specified platform: wanted ${formatPlatform(normalizePlatform(want))}, actual: ${formatPlatform(this.store.platformOf(rec.id))}`,
        );
      rec = ranked[0].r;
    }
    return { id: rec.id, chainId: topChainId(rec), defaults: defaultsFrom(this.store.config(rec.id).config), platform: this.store.platformOf(rec.id) };
  }

  async commit(req: CommitRequest) {
    const config = runtimeConfigFrom(req.config);
    const r = await commitImage(this.store, {
      parentImageId: req.imageId,
      diff: req.diff,
      config,
      changes: req.changes,
      author: req.author,
      comment: req.comment,
      createdBy: [...req.config.entrypoint, ...req.config.cmd].join(' '),
      ref: req.ref,
      containerId: req.containerId,
      containerConfig: { ...runtimeConfigFrom(req.container.config), Image: req.container.image },
    });
    return r.id;
  }
}
