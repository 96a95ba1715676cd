// stop, kill, restart, pause, unpause, wait, rm, rename, port: one request per container,
// printing the argument back on success and "Error response from daemon: …" per failure.
import type { CliContext } from '../context.js';
import { StatusError } from '../cli-error.js';
import { newCommand, parse, toInt } from '../flags.js';

/** docker's loop: each name in turn, errors printed as they come, exit 1 if any failed. */
export async function eachContainer(ctx: CliContext, names: string[], fn: (name: string) => Promise<string | void>): Promise<number> {
  const errs: string[] = [];
  for (const n of names) {
    try {
      const out = await fn(n);
      if (out !== undefined) ctx.out(`${out}\n`);
    } catch (e) {
      const msg = (e as { status?: number }).status !== undefined ? `Error response from daemon: ${(e as Error).message}` : (e as Error).message;
      if ((e as { kind?: string }).kind === 'unavailable') throw e;
      errs.push(msg);
    }
  }
  if (errs.length) throw new StatusError(1, errs.join('\n'));
  return 0;
}

const simple = (name: string, description: string, call: (ctx: CliContext, id: string) => Promise<void>) =>
  async (ctx: CliContext, argv: string[]): Promise<number> => {
    const p = parse(ctx, newCommand(ctx, { name, usage: 'CONTAINER [CONTAINER...]', description, minArgs: 1 }), argv);
    return p ? eachContainer(ctx, p.args, async (id) => { await call(ctx, id); return id; }) : 0;
  };

export const pause = simple('pause', 'Pause all processes within one or more containers', (ctx, id) => ctx.docker.containerPause(id));
export const unpause = simple('unpause', 'Unpause all processes within one or more containers', (ctx, id) => ctx.docker.containerUnpause(id));

function stopLike(name: 'stop' | 'restart') {
  return async (ctx: CliContext, argv: string[]): Promise<number> => {
    const c = newCommand(ctx, { name, usage: '[OPTIONS] CONTAINER [CONTAINER...]', description: `${name === 'stop' ? 'Stop' : 'Restart'} one or more containers`, minArgs: 1 })
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
  const c = newCommand(ctx, { name: 'kill', usage: '[OPTIONS] CONTAINER [CONTAINER...]', description: 'Kill one or more running containers', minArgs: 1 })
    .option('-s, --signal <string>', 'Signal to send to the container');
  const p = parse<{ signal?: string }>(ctx, c, argv);
  return p ? eachContainer(ctx, p.args, async (id) => { await ctx.docker.containerKill(id, p.opts.signal); return id; }) : 0;
}

export async function wait(ctx: CliContext, argv: string[]): Promise<number> {
  const p = parse(ctx, newCommand(ctx, { name: 'wait', usage: 'CONTAINER [CONTAINER...]', description: 'Block until one or more containers stop, then print their exit codes', minArgs: 1 }), argv);
  return p ? eachContainer(ctx, p.args, async (id) => String((await ctx.docker.containerWait(id, 'not-running')).StatusCode)) : 0;
}

export async function rm(ctx: CliContext, argv: string[]): Promise<number> {
  const c = newCommand(ctx, { name: 'rm', usage: '[OPTIONS] CONTAINER [CONTAINER...]', description: 'Remove one or more containers', minArgs: 1 })
    .option('-f, --force', 'Force the removal of a running container (uses SIGKILL)')
    .option('-v, --volumes', 'Remove anonymous volumes associated with the container')
    .option('-l, --link', 'Remove the specified link');
  const p = parse<{ force?: boolean; volumes?: boolean; link?: boolean }>(ctx, c, argv);
  if (!p) return 0;
  return eachContainer(ctx, p.args, async (id) => {
    try {
      await ctx.docker.containerRemove(id, { force: p.opts.force, v: p.opts.volumes, link: p.opts.link });
    } catch (e) {
      if (p.opts.force && (e as { status?: number }).status === 404) return undefined; // docker -f ignores missing
      throw e;
    }
    return id;
  });
}

export async function rename(ctx: CliContext, argv: string[]): Promise<number> {
  const p = parse(ctx, newCommand(ctx, { name: 'rename', usage: 'CONTAINER NEW_NAME', description: 'Rename a container', exactArgs: 2 }), argv);
  if (!p) return 0;
  await ctx.docker.containerRename(p.args[0]!, p.args[1]!);
  return 0;
}

export async function port(ctx: CliContext, argv: string[]): Promise<number> {
  const p = parse(ctx, newCommand(ctx, { name: 'port', usage: 'CONTAINER [PRIVATE_PORT[/PROTO]]', description: 'List port mappings or a specific mapping for the container', minArgs: 1, maxArgs: 2 }), argv);
  if (!p) return 0;
  const info = await ctx.docker.containerInspect(p.args[0]!);
  const ports = info.NetworkSettings?.Ports ?? {};
  const want = p.args[1] ? (p.args[1].includes('/') ? p.args[1] : `${p.args[1]}/tcp`) : undefined;
  const keys = Object.keys(ports).sort();
  if (want && !keys.includes(want)) throw new StatusError(1, `Error: No public port '${want}' published for ${p.args[0]}`);
  for (const k of keys) {
    if (want && k !== want) continue;
    for (const b of ports[k] ?? []) {
      const hp = `${b.HostIp?.includes(':') ? `[${b.HostIp}]` : b.HostIp || '0.0.0.0'}:${b.HostPort}`;
      ctx.out(want ? `${hp}\n` : `${k} -> ${hp}\n`);
    }
  }
  return 0;
}
