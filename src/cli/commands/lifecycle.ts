// stop, kill, restart, pause, unpause, wait, rm, rename, port: one request per container,
// printing the argument back on success and "Error response from daemon: …" per failure.
import type { CliContext } from '../context.js';
import { StatusError } from '../cli-error.js';
import { newCommand, parse, toInt } from '../flags.js';

function errText(e: unknown): string {
  return (e as { status?: number }).status !== undefined ? `Error response from daemon: ${(e as Error).message}` : (e as Error).message;
}

/**
 * docker's parallelOperation: every container at once, results printed in argument order
 * (stdout: the name; errors joined on stderr at the end), exit 1 if any failed. With
 * `ignoreNotFound` (rm -f) a missing container's error is printed but does not fail the run.
 */
export async function eachContainer(ctx: CliContext, names: string[], fn: (name: string) => Promise<string | void>, ignoreNotFound = false): Promise<number> {
  const errs: string[] = [];
  const results = names.map((n) =>
    fn(n).then(
      (out) => ({ out }),
      (e: unknown) => ({ e }),
    ),
  );
  for (const r of results) {
    const res = await r;
    if ('e' in res) {
      if ((res.e as { kind?: string }).kind === 'unavailable') throw res.e;
      if (ignoreNotFound && (res.e as { status?: number }).status === 404) {
        ctx.err(`${errText(res.e)}\n`);
        continue;
      }
      errs.push(errText(res.e));
    } else if (res.out !== undefined) ctx.out(`${res.out}\n`);
  }
  if (errs.length) throw new StatusError(1, errs.join('\n'));
  return 0;
}

const simple =
  (name: string, description: string, call: (ctx: CliContext, id: string) => Promise<void>) =>
  async (ctx: CliContext, argv: string[]): Promise<number> => {
    const p = parse(ctx, newCommand(ctx, { name, usage: 'CONTAINER [CONTAINER...]', description, minArgs: 1 }), argv);
    return p
      ? eachContainer(ctx, p.args, async (id) => {
          await call(ctx, id);
          return id;
        })
      : 0;
  };

export const pause = simple('pause', 'Pause all processes within one or more containers', (ctx, id) => ctx.docker.containerPause(id));
export const unpause = simple('unpause', 'Unpause all processes within one or more containers', (ctx, id) => ctx.docker.containerUnpause(id));

function stopLike(name: 'stop' | 'restart') {
  return async (ctx: CliContext, argv: string[]): Promise<number> => {
    const c = newCommand(ctx, {
      name,
      usage: '[OPTIONS] CONTAINER [CONTAINER...]',
      description: `${name === 'stop' ? 'Stop' : 'Restart'} one or more containers`,
      minArgs: 1,
    })
      .option('-t, --time <int>', 'Seconds to wait before killing the container', toInt)
      .option('-s, --signal <string>', 'Signal to send to the container');
    const p = parse<{ time?: number; signal?: string }>(ctx, c, argv);
    if (!p) return 0;
    const opts = { t: p.opts.time, signal: p.opts.signal };
    return eachContainer(ctx, p.args, async (id) => {
      await (name === 'stop' ? ctx.docker.containerStop(id, opts) : ctx.docker.containerRestart(id, opts));
      return id;
    });
  };
}
export const stop = stopLike('stop');
export const restart = stopLike('restart');

export async function kill(ctx: CliContext, argv: string[]): Promise<number> {
  const c = newCommand(ctx, {
    name: 'kill',
    usage: '[OPTIONS] CONTAINER [CONTAINER...]',
    description: 'Kill one or more running containers',
    minArgs: 1,
  }).option('-s, --signal <string>', 'Signal to send to the container');
  const p = parse<{ signal?: string }>(ctx, c, argv);
  return p
    ? eachContainer(ctx, p.args, async (id) => {
        await ctx.docker.containerKill(id, p.opts.signal);
        return id;
      })
    : 0;
}

export async function wait(ctx: CliContext, argv: string[]): Promise<number> {
  const p = parse(
    ctx,
    newCommand(ctx, {
      name: 'wait',
      usage: 'CONTAINER [CONTAINER...]',
      description: 'Block until one or more containers stop, then print their exit codes',
      minArgs: 1,
    }),
    argv,
  );
  return p ? eachContainer(ctx, p.args, async (id) => String((await ctx.docker.containerWait(id, 'not-running')).StatusCode)) : 0;
}

export async function rm(ctx: CliContext, argv: string[]): Promise<number> {
  const c = newCommand(ctx, { name: 'rm', usage: '[OPTIONS] CONTAINER [CONTAINER...]', description: 'Remove one or more containers', minArgs: 1 })
    .option('-f, --force', 'Force the removal of a running container (uses SIGKILL)')
    .option('-v, --volumes', 'Remove anonymous volumes associated with the container')
    .option('-l, --link', 'Remove the specified link');
  const p = parse<{ force?: boolean; volumes?: boolean; link?: boolean }>(ctx, c, argv);
  if (!p) return 0;
  return eachContainer(
    ctx,
    p.args,
    async (id) => {
      await ctx.docker.containerRemove(id, { force: p.opts.force, v: p.opts.volumes, link: p.opts.link });
      return id;
    },
    !!p.opts.force,
  );
}

export async function rename(ctx: CliContext, argv: string[]): Promise<number> {
  const p = parse(ctx, newCommand(ctx, { name: 'rename', usage: 'CONTAINER NEW_NAME', description: 'Rename a container', exactArgs: 2 }), argv);
  if (!p) return 0;
  await ctx.docker.containerRename(p.args[0]!, p.args[1]!);
  return 0;
}

export async function port(ctx: CliContext, argv: string[]): Promise<number> {
  const p = parse(
    ctx,
    newCommand(ctx, {
      name: 'port',
      usage: 'CONTAINER [PRIVATE_PORT[/PROTO]]',
      description: 'List port mappings or a specific mapping for the container',
      minArgs: 1,
      maxArgs: 2,
    }),
    argv,
  );
  if (!p) return 0;
  const info = await ctx.docker.containerInspect(p.args[0]!);
  const ports = info.NetworkSettings?.Ports ?? {};
  const join = (b: { HostIp?: string; HostPort?: string }) => `${b.HostIp?.includes(':') ? `[${b.HostIp}]` : (b.HostIp ?? '')}:${b.HostPort ?? ''}`;
  if (p.args[1]) {
    // docker: the port must parse as uint16, the proto defaults to tcp, the message echoes the argument
    const [num, proto = 'tcp'] = p.args[1].split('/') as [string, string?];
    if (!/^\d+$/.test(num) || Number(num) > 65535)
      throw new StatusError(
        1,
        `Error: invalid port (${num}): strconv.ParseUint: parsing ${JSON.stringify(num)}: ${/^\d+$/.test(num) ? 'value out of range' : 'invalid syntax'}`,
      );
    const frontends = ports[`${num}/${proto || 'tcp'}`] ?? [];
    if (!frontends.length) throw new StatusError(1, `Error: No public port '${p.args[1]}' published for ${p.args[0]}`);
    for (const b of frontends) ctx.out(`${join(b)}\n`);
    return 0;
  }
  const out: string[] = [];
  for (const [k, frontends] of Object.entries(ports)) for (const b of frontends ?? []) out.push(`${k} -> ${join(b)}`);
  for (const l of out.sort()) ctx.out(`${l}\n`);
  return 0;
}
