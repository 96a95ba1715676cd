// compose down / start / stop / restart / kill / pause / unpause / rm: flags here, the work in
// src/compose/lifecycle.ts (which also serves a project whose compose file is gone, by name).
import {
  down as downProject,
  removeStopped,
  restartServices,
  signalServices,
  startServices,
  stopServices,
  type LifecycleContext,
} from '../../compose/lifecycle.js';
import { isUp, observeContainers } from '../../compose/observe.js';
import { StatusError } from '../cli-error.js';
import { newCommand, parse, toInt } from '../flags.js';
import { confirmLine } from './images.js';
import type { ComposeCli } from './compose-context.js';

async function context(cli: ComposeCli, timeout?: number, services: string[] = []): Promise<LifecycleContext> {
  const project = services.length ? await cli.project(services) : await cli.projectIfAny();
  return { api: cli.api, projectName: project?.name ?? (await cli.projectName()), project, progress: cli.progress(), timeout };
}

async function withContext(cli: ComposeCli, timeout: number | undefined, services: string[], f: (x: LifecycleContext) => Promise<void>): Promise<number> {
  const x = await context(cli, timeout, services);
  try {
    await f(x);
  } finally {
    x.progress.close();
  }
  return 0;
}

export async function down(cli: ComposeCli, argv: string[]): Promise<number> {
  const c = newCommand(cli.ctx, { name: 'down', usage: '[OPTIONS] [SERVICES]', description: 'Stop and remove containers, networks' })
    .option('-v, --volumes', 'Remove named volumes declared in the "volumes" section of the Compose file and anonymous volumes attached to containers')
    .option('--rmi <string>', 'Remove images used by services. "local" remove only images that don\'t have a custom tag ("local"|"all")')
    .option('--remove-orphans', 'Remove containers for services not defined in the Compose file')
    .option('-t, --timeout <int>', 'Specify a shutdown timeout in seconds', toInt);
  const p = parse<{ volumes?: boolean; rmi?: string; removeOrphans?: boolean; timeout?: number }>(cli.ctx, c, argv);
  if (!p) return 0;
  if (p.opts.rmi && p.opts.rmi !== 'local' && p.opts.rmi !== 'all') throw new StatusError(1, `invalid value for --rmi: ${p.opts.rmi}`);
  return withContext(cli, p.opts.timeout, [], (x) =>
    downProject(x, { volumes: p.opts.volumes, rmi: p.opts.rmi as 'local' | 'all' | undefined, removeOrphans: p.opts.removeOrphans }),
  );
}

function simple(
  name: string,
  description: string,
  run: (x: LifecycleContext, services: string[], o: { timeout?: number; signal?: string }) => Promise<void>,
  flags: 'timeout' | 'signal' | 'none',
) {
  return async (cli: ComposeCli, argv: string[]): Promise<number> => {
    const c = newCommand(cli.ctx, { name, usage: '[OPTIONS] [SERVICE...]', description });
    if (flags === 'timeout') c.option('-t, --timeout <int>', 'Specify a shutdown timeout in seconds', toInt);
    if (flags === 'signal')
      c.option('-s, --signal <string>', 'SIGNAL to send to the container', 'SIGKILL').option(
        '--remove-orphans',
        'Remove containers for services not defined in the Compose file',
      );
    const p = parse<{ timeout?: number; signal?: string }>(cli.ctx, c, argv);
    if (!p) return 0;
    return withContext(cli, p.opts.timeout, p.args, (x) => run(x, p.args, p.opts));
  };
}

export const start = simple('start', 'Start services', (x, s) => startServices(x, s), 'none');
export const stop = simple('stop', 'Stop services', (x, s) => stopServices(x, s), 'timeout');
export const restart = simple('restart', 'Restart service containers', (x, s) => restartServices(x, s), 'timeout');
export const kill = simple('kill', 'Force stop service containers', (x, s, o) => signalServices(x, s, 'kill', o.signal), 'signal');
export const pause = simple('pause', 'Pause services', (x, s) => signalServices(x, s, 'pause'), 'none');
export const unpause = simple('unpause', 'Unpause services', (x, s) => signalServices(x, s, 'unpause'), 'none');

export async function rm(cli: ComposeCli, argv: string[]): Promise<number> {
  const c = newCommand(cli.ctx, { name: 'rm', usage: '[OPTIONS] [SERVICE...]', description: 'Removes stopped service containers' })
    .option('-f, --force', "Don't ask to confirm removal")
    .option('-s, --stop', 'Stop the containers, if required, before removing')
    .option('-v, --volumes', 'Remove any anonymous volumes attached to containers');
  const p = parse<{ force?: boolean; stop?: boolean; volumes?: boolean }>(cli.ctx, c, argv);
  if (!p) return 0;
  const name = await cli.projectName();
  const candidates = (await observeContainers(cli.api, name, { oneoff: false })).filter(
    (c) => (!p.args.length || p.args.includes(c.service)) && (p.opts.stop || !isUp(c)),
  );
  if (!candidates.length) {
    cli.ctx.err('No stopped containers\n');
    return 0;
  }
  if (
    !p.opts.force &&
    !(await confirmLine(cli.ctx, `Going to remove ${candidates.map((c) => c.name).join(', ')}\n? Are you sure you want to remove these containers?`))
  )
    return 0;
  return withContext(cli, undefined, p.args, async (x) => {
    await removeStopped(x, p.args, p.opts);
  });
}
