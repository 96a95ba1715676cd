// start (-a, -i) and attach: attach first, then start, stream until the container exits.
import { startSession } from '../../client/attach-session.js';
import { StatusError } from '../cli-error.js';
import type { CliContext } from '../context.js';
import { newCommand, parse } from '../flags.js';
import { ApiError } from '../../api/client/errors.js';

async function attachAndWait(ctx: CliContext, id: string, stdin: boolean, detachKeys: string | undefined, start: boolean): Promise<number> {
  const docker = ctx.docker;
  const info = await docker.containerInspect(id);
  const tty = !!info.Config.Tty;
  const useStdin = stdin && !!info.Config.OpenStdin;
  if (!start && !info.State.Running) throw new StatusError(1, 'You cannot attach to a stopped container, start it first');
  const conn = await docker.containerAttach(id, { stream: true, stdin: useStdin, stdout: true, stderr: true, detachKeys });
  const waitP = (await docker.containerWaitRegistered(id, start ? 'next-exit' : 'not-running')).result;
  const session = startSession(ctx.io, conn, { tty, stdin: useStdin, detachKeys, resize: (h, w) => docker.containerResize(id, h, w) });
  try {
    if (start) await docker.containerStart(id, { detachKeys });
    if (tty) session.resizeNow();
    await session.done;
    // docker 28: detaching ends `start -a` quietly, but `attach` reports it and exits 1
    if (session.detached) {
      if (!start) throw new StatusError(1, 'read escape sequence');
      return 0;
    }
    return (await waitP).StatusCode;
  } finally {
    session.close();
  }
}

export async function start(ctx: CliContext, argv: string[]): Promise<number> {
  const c = newCommand(ctx, { name: 'start', usage: '[OPTIONS] CONTAINER [CONTAINER...]', description: 'Start one or more stopped containers', minArgs: 1 })
    .option('-a, --attach', 'Attach STDOUT/STDERR and forward signals')
    .option('-i, --interactive', "Attach container's STDIN")
    .option('--detach-keys <string>', 'Override the key sequence for detaching a container');
  const p = parse<{ attach?: boolean; interactive?: boolean; detachKeys?: string }>(ctx, c, argv);
  if (!p) return 0;
  const o = p.opts;
  if (o.attach || o.interactive) {
    if (p.args.length > 1) throw new StatusError(1, 'you cannot start and attach multiple containers at once');
    return attachAndWait(ctx, p.args[0]!, !!o.interactive, o.detachKeys, true);
  }
  // docker starts these one after another, printing each failure as it happens
  const failed: string[] = [];
  for (const id of p.args) {
    try {
      await ctx.docker.containerStart(id, { detachKeys: o.detachKeys });
      ctx.out(`${id}\n`);
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      ctx.err(`Error response from daemon: ${e.message}\n`);
      failed.push(id);
    }
  }
  if (failed.length) throw new StatusError(1, `Error: failed to start containers: ${failed.join(', ')}`);
  return 0;
}

export async function attach(ctx: CliContext, argv: string[]): Promise<number> {
  const c = newCommand(ctx, {
    name: 'attach',
    usage: '[OPTIONS] CONTAINER',
    description: 'Attach local standard input, output, and error streams to a running container',
    exactArgs: 1,
  })
    .option('--no-stdin', 'Do not attach STDIN')
    .option('--sig-proxy [bool]', 'Proxy all received signals to the process', (v: string) => v !== 'false', true)
    .option('--detach-keys <string>', 'Override the key sequence for detaching a container');
  const p = parse<{ stdin?: boolean; detachKeys?: string }>(ctx, c, argv);
  if (!p) return 0;
  return attachAndWait(ctx, p.args[0]!, p.opts.stdin !== false, p.opts.detachKeys, false);
}
