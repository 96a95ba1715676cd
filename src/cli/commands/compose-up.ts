// compose up / create / build / pull: images first, then observe -> plan -> execute, then
// (without -d) the services' logs until they exit or Ctrl-C stops the project.
import type { ExecContext, ServiceContainers } from '../../compose/execute.js';
import { executeUp } from '../../compose/execute.js';
import { buildService, ensureImages, pullImage } from '../../compose/images.js';
import { stopServices, signalServices } from '../../compose/lifecycle.js';
import { logPrefixer, streamLogs, type LogSource } from '../../compose/logs.js';
import { observeProject } from '../../compose/observe.js';
import { planUp, selectedServices, type UpOptions } from '../../compose/reconcile.js';
import { imageName } from '../../compose/container-spec.js';
import { checkExternals, portClashes } from '../../compose/preflight.js';
import { splitRef } from '../../client/reference.js';
import { registryAuthHeader } from '../../client/registry-auth.js';
import { collect, newCommand, parse, toInt } from '../flags.js';
import { StatusError } from '../cli-error.js';
import { parseScale, shortName, type ComposeCli } from './compose-context.js';

interface UpOpts {
  detach?: boolean;
  build?: boolean;
  noBuild?: boolean;
  pull?: string;
  forceRecreate?: boolean;
  noRecreate?: boolean;
  deps: boolean;
  wait?: boolean;
  waitTimeout?: number;
  scale: string[];
  removeOrphans?: boolean;
  renewAnonVolumes?: boolean;
  abortOnContainerExit?: boolean;
  exitCodeFrom?: string;
  timeout?: number;
  noStart?: boolean;
  quietPull?: boolean;
  color: boolean;
  noLogPrefix?: boolean;
  attachDependencies?: boolean;
  noAttach: string[];
  attach: string[];
  timestamps?: boolean;
}

function upCommand(cli: ComposeCli, name: 'up' | 'create') {
  const c = newCommand(cli.ctx, {
    name,
    usage: '[OPTIONS] [SERVICE...]',
    description: name === 'up' ? 'Create and start containers' : 'Creates containers for a service',
  })
    .option('--build', 'Build images before starting containers')
    .option('--no-build', "Don't build an image, even if it's policy")
    .option('--pull <string>', 'Pull image before running ("always"|"missing"|"never")')
    .option('--force-recreate', "Recreate containers even if their configuration and image haven't changed")
    .option('--no-recreate', "If containers already exist, don't recreate them. Incompatible with --force-recreate.")
    .option('--scale <stringArray>', 'Scale SERVICE to NUM instances. Overrides the `scale` setting in the Compose file if present.', collect, [])
    .option('--remove-orphans', 'Remove containers for services not defined in the Compose file')
    .option('--quiet-pull', 'Pull without printing progress information');
  if (name === 'up') {
    c.option('-d, --detach', 'Detached mode: Run containers in the background')
      .option('--no-deps', "Don't start linked services")
      .option('--wait', 'Wait for services to be running|healthy. Implies detached mode.')
      .option('--wait-timeout <int>', 'Maximum duration in seconds to wait for the project to be running|healthy', toInt)
      .option('-V, --renew-anon-volumes', 'Recreate anonymous volumes instead of retrieving data from the previous containers')
      .option('--abort-on-container-exit', 'Stops all containers if any container was stopped. Incompatible with -d')
      .option('--exit-code-from <string>', 'Return the exit code of the selected service container. Implies --abort-on-container-exit')
      .option('-t, --timeout <int>', 'Use this timeout in seconds for container shutdown when attached or when containers are already running', toInt)
      .option('--no-start', "Don't start the services after creating them")
      .option('--no-color', 'Produce monochrome output')
      .option('--no-log-prefix', "Don't print prefix in logs")
      .option('--attach-dependencies', 'Automatically attach to log output of dependent services')
      .option('--attach <stringArray>', 'Restrict attaching to the specified services.', collect, [])
      .option('--no-attach <stringArray>', 'Do not attach (stream logs) to the specified services', collect, [])
      .option('--timestamps', 'Show timestamps')
      .option('-y, --yes', 'Assume "yes" as answer to all prompts and run non-interactively');
  }
  return c;
}

export async function up(cli: ComposeCli, argv: string[]): Promise<number> {
  return converge(cli, argv, 'up');
}

export async function create(cli: ComposeCli, argv: string[]): Promise<number> {
  return converge(cli, argv, 'create');
}

async function converge(cli: ComposeCli, argv: string[], name: 'up' | 'create'): Promise<number> {
  const p = parse<UpOpts>(cli.ctx, upCommand(cli, name), argv);
  if (!p) return 0;
  const o = p.opts;
  if (name === 'create') {
    o.noStart = true;
    o.detach = true;
    o.deps = true;
  }
  if (o.forceRecreate && o.noRecreate) throw new StatusError(1, '--force-recreate and --no-recreate are incompatible');
  if (o.build && o.noBuild) throw new StatusError(1, '--build and --no-build are incompatible');
  if (o.detach && (o.abortOnContainerExit || o.exitCodeFrom)) throw new StatusError(1, '--abort-on-container-exit and --detach are incompatible');
  if (o.pull && !['always', 'missing', 'never', 'build'].includes(o.pull)) throw new StatusError(1, `invalid --pull option ${JSON.stringify(o.pull)}`);
  if (o.wait) o.detach = true;
  const project = await cli.project(p.args);
  const scale = parseScale(o.scale);
  for (const s of Object.keys(scale)) if (!project.services[s]) throw new StatusError(1, `no such service: ${s}`);
  if (o.exitCodeFrom && !project.services[o.exitCodeFrom]) throw new StatusError(1, `no such service: ${o.exitCodeFrom}`);
  const upOpts: UpOptions = {
    services: p.args,
    noDeps: o.deps === false,
    forceRecreate: o.forceRecreate,
    noRecreate: o.noRecreate,
    scale,
    removeOrphans: o.removeOrphans ?? /^(1|true)$/i.test(cli.ctx.env.COMPOSE_REMOVE_ORPHANS ?? ''),
    renewAnonVolumes: o.renewAnonVolumes,
    noStart: o.noStart,
  };
  const services = selectedServices(project, upOpts);
  const clashes = portClashes(project, services, scale);
  if (clashes.length) throw clashes[0]!;
  await checkExternals(cli.api, project, services);
  const progress = cli.progress();
  const imageIds = await ensureImages(cli.api, project, services, { build: o.build, noBuild: o.noBuild, pull: o.pull, quiet: o.quietPull }, progress);
  const observed = await observeProject(cli.api, project.name);
  const plan = planUp(project, observed, imageIds, upOpts);
  const x: ExecContext = { api: cli.api, project, progress, timeout: o.timeout };
  const since = Math.floor(Date.now() / 1000);
  let containers: ServiceContainers;
  try {
    containers = await executeUp(x, plan);
  } finally {
    progress.close();
  }
  if (o.wait) return waitRunningOrHealthy(cli, x, containers, o.waitTimeout);
  if (o.detach) return 0;
  return attached(cli, x, containers, o, since);
}

/** --wait: every container running, and healthy where it has a healthcheck; 1 when one fails or time runs out. */
async function waitRunningOrHealthy(cli: ComposeCli, x: ExecContext, containers: ServiceContainers, timeoutSecs?: number): Promise<number> {
  const deadline = timeoutSecs ? Date.now() + timeoutSecs * 1000 : Infinity;
  const progress = cli.progress();
  const all = [...containers.values()].flat();
  try {
    await Promise.all(
      all.map(async (c) => {
        progress.event({ kind: 'Container', name: c.name, status: 'Waiting' });
        for (;;) {
          const info = await x.api.containerInspect(c.id);
          const health = info.State.Health?.Status;
          if (info.State.Running && (!health || health === 'healthy')) {
            progress.event({ kind: 'Container', name: c.name, status: health ? 'Healthy' : 'Running', done: true });
            return;
          }
          if (health === 'unhealthy') throw new Error(`container ${c.name} is unhealthy`);
          if (!info.State.Running && info.State.Status === 'exited') throw new Error(`container ${c.name} exited (${info.State.ExitCode})`);
          if (Date.now() > deadline) throw new Error(`timeout waiting for ${c.name} to be running|healthy`);
          await new Promise((r) => setTimeout(r, 200));
        }
      }),
    );
  } catch (e) {
    progress.close();
    cli.ctx.err(`${(e as Error).message}\n`);
    return 1;
  }
  progress.close();
  return 0;
}

/** Attached `up`: logs of the services' containers until all exit; Ctrl-C stops, a second one kills. */
async function attached(cli: ComposeCli, x: ExecContext, containers: ServiceContainers, o: UpOpts, since: number): Promise<number> {
  const project = x.project;
  const abortOnExit = !!(o.abortOnContainerExit || o.exitCodeFrom);
  const skip = new Set(o.noAttach);
  const only = new Set(o.attach);
  const sources: LogSource[] = [];
  for (const [service, list] of containers) {
    if (skip.has(service) || (only.size && !only.has(service))) continue;
    for (const c of list) sources.push({ id: c.id, name: shortName(project.name, c.name), service, tty: !!project.services[service]?.tty });
  }
  cli.ctx.out(`Attaching to ${sources.map((s) => s.name).join(', ')}\n`);
  const prefix = logPrefixer(
    sources.map((s) => s.name),
    o.color !== false && cli.colors,
  );
  const abort = new AbortController();
  let exitCode = 0;
  let stopping: Promise<void> | undefined;
  const lx = { api: cli.api, projectName: project.name, project, progress: cli.progress('Stopping'), timeout: o.timeout };
  const stopAll = (verb: string) => {
    if (stopping) return stopping;
    cli.ctx.out(`${verb}\n`);
    stopping = stopServices(lx, [...containers.keys()]).finally(() => abort.abort());
    return stopping;
  };
  let interrupts = 0;
  const onSigint = () => {
    interrupts++;
    if (interrupts === 1) void stopAll('Gracefully stopping... (press Ctrl+C again to force)');
    else void signalServices(lx, [...containers.keys()], 'kill').finally(() => abort.abort());
  };
  process.on('SIGINT', onSigint);
  try {
    await Promise.all(
      sources.map(async (s) => {
        await streamLogs(
          cli.api,
          [s],
          { follow: true, since: String(since), timestamps: o.timestamps },
          (l) => {
            cli.ctx.out(`${o.noLogPrefix ? '' : prefix(l.source)}${l.text}\n`);
          },
          abort.signal,
        );
        if (abort.signal.aborted) return;
        // A log stream ends as the process exits, before the exit is recorded: wait for the record.
        const exit = await cli.api.containerWait(s.id, 'not-running').catch(() => undefined);
        if (!exit || abort.signal.aborted) return;
        const code = exit.StatusCode;
        cli.ctx.out(`${s.name} exited with code ${code}\n`);
        if (o.exitCodeFrom ? s.service === o.exitCodeFrom : abortOnExit && !stopping) exitCode = code;
        if (abortOnExit) await stopAll('Aborting on container exit...');
      }),
    );
    if (stopping) await stopping;
  } finally {
    process.off('SIGINT', onSigint);
    lx.progress.close();
  }
  if (interrupts) return 130;
  return exitCode;
}

interface BuildOpts {
  noCache?: boolean;
  pull?: boolean;
  quiet?: boolean;
  buildArg: string[];
}

export async function build(cli: ComposeCli, argv: string[]): Promise<number> {
  const c = newCommand(cli.ctx, { name: 'build', usage: '[OPTIONS] [SERVICE...]', description: 'Build or rebuild services' })
    .option('--no-cache', 'Do not use cache when building the image')
    .option('--pull', 'Always attempt to pull a newer version of the image')
    .option('-q, --quiet', "Don't print anything to STDOUT")
    .option('--build-arg <stringArray>', 'Set build-time variables for services', collect, []);
  const p = parse<BuildOpts & { cache?: boolean }>(cli.ctx, c, argv);
  if (!p) return 0;
  const project = await cli.project(p.args);
  const names = (p.args.length ? p.args : Object.keys(project.services)).filter((s) => project.services[s]?.build);
  const progress = cli.progress();
  try {
    for (const s of names) {
      const b = project.services[s]!.build!;
      for (const kv of p.opts.buildArg) {
        const i = kv.indexOf('=');
        b.args = { ...b.args, [i < 0 ? kv : kv.slice(0, i)]: i < 0 ? (cli.ctx.env[kv] ?? null) : kv.slice(i + 1) };
      }
      await buildService(cli.api, project, s, { noCache: p.opts.cache === false, pullBase: p.opts.pull, quiet: p.opts.quiet }, progress);
    }
  } finally {
    progress.close();
  }
  return 0;
}

export async function pull(cli: ComposeCli, argv: string[]): Promise<number> {
  const c = newCommand(cli.ctx, { name: 'pull', usage: '[OPTIONS] [SERVICE...]', description: 'Pull service images' })
    .option('-q, --quiet', 'Pull without printing progress information')
    .option('--ignore-pull-failures', 'Pull what it can and ignores images with pull failures')
    .option('--ignore-buildable', 'Ignore images that can be built')
    .option('--include-deps', 'Also pull services declared as dependencies');
  const p = parse<{ quiet?: boolean; ignorePullFailures?: boolean; ignoreBuildable?: boolean }>(cli.ctx, c, argv);
  if (!p) return 0;
  const project = await cli.project(p.args);
  const names = p.args.length ? p.args : Object.keys(project.services);
  const progress = cli.progress('Pulling');
  let failed = false;
  try {
    await Promise.all(
      names.map(async (s) => {
        const svc = project.services[s]!;
        if (!svc.image || (svc.build && p.opts.ignoreBuildable)) {
          progress.event({ kind: 'Image', name: s, status: 'Skipped', detail: '- No image to be pulled' });
          return;
        }
        try {
          await pullImage(cli.api, imageName(project, s), svc.platform, s, { quiet: p.opts.quiet }, progress);
        } catch (e) {
          if (!p.opts.ignorePullFailures && !svc.build) throw e;
          failed = failed || !p.opts.ignorePullFailures;
        }
      }),
    );
  } finally {
    progress.close();
  }
  return failed ? 1 : 0;
}

export async function watchProject(cli: ComposeCli, argv: string[]): Promise<number> {
  const c = newCommand(cli.ctx, {
    name: 'watch',
    usage: '[SERVICE...]',
    description: 'Watch build context for service and rebuild/refresh containers when files are updated',
  })
    .option('--no-up', 'Do not build & start services before watching')
    .option('--prune', 'Prune dangling images on rebuild')
    .option('--quiet', 'hide build output');
  const p = parse<{ up: boolean; quiet?: boolean }>(cli.ctx, c, argv);
  if (!p) return 0;
  const project = await cli.project(p.args);
  const services = selectedServices(project, { services: p.args });
  const progress = cli.progress();
  await checkExternals(cli.api, project, services);
  if (p.opts.up !== false) {
    const ids = await ensureImages(cli.api, project, services, {}, progress);
    await executeUp({ api: cli.api, project, progress }, planUp(project, await observeProject(cli.api, project.name), ids, { services: p.args }));
  }
  const { ProjectWatcher } = await import('../../compose/watch.js');
  const watcher = new ProjectWatcher(cli.api, project, {
    services,
    log: (s) => cli.ctx.out(s),
    progress: p.opts.quiet ? { event: () => {}, text: () => {}, close: () => {} } : progress,
  });
  watcher.start();
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  watcher.close();
  await watcher.idle();
  return 0;
}

export async function push(cli: ComposeCli, argv: string[]): Promise<number> {
  const c = newCommand(cli.ctx, { name: 'push', usage: '[OPTIONS] [SERVICE...]', description: 'Push service images' })
    .option('--ignore-push-failures', 'Push what it can and ignores images with push failures')
    .option('--include-deps', 'Also push images of services declared as dependencies')
    .option('-q, --quiet', 'Push without printing progress information');
  const p = parse<{ ignorePushFailures?: boolean; includeDeps?: boolean; quiet?: boolean }>(cli.ctx, c, argv);
  if (!p) return 0;
  const project = await cli.project(p.args);
  const names = p.args.length ? (p.opts.includeDeps ? selectedServices(project, { services: p.args }) : p.args) : Object.keys(project.services);
  // Only services that name their image are pushed (a build-only service has nowhere to go).
  const images = [...new Set(names.filter((s) => project.services[s]?.image).map((s) => project.services[s]!.image!))];
  const progress = p.opts.quiet ? cli.progress() : cli.progress('Pushing');
  try {
    for (const image of images) {
      const r = splitRef(image);
      progress.event({ kind: 'Image', name: r.familiar, status: 'Pushing' });
      try {
        for await (const m of cli.ctx.docker.imagePush(r.repo, r.tag, await registryAuthHeader(r.repo.split('/')[0]!, cli.ctx.env))) {
          if (m.errorDetail || m.error) throw new Error(m.errorDetail?.message ?? m.error);
        }
        progress.event({ kind: 'Image', name: r.familiar, status: 'Pushed' });
      } catch (e) {
        progress.event({ kind: 'Image', name: r.familiar, status: 'Error', error: true, detail: (e as Error).message });
        if (!p.opts.ignorePushFailures) throw e;
      }
    }
  } finally {
    progress.close();
  }
  return 0;
}
