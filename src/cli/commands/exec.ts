// exec: create the exec, then start it hijacked (or detached); exit with its exit code.
import { startSession } from '../../client/attach-session.js';
import { StatusError } from '../cli-error.js';
import type { CliContext } from '../context.js';
import { envFlag, readEnvFile } from '../../client/env-file.js';
import { collect, newCommand, parse } from '../flags.js';

interface ExecOpts {
  detach?: boolean;
  interactive?: boolean;
  tty?: boolean;
  user?: string;
  env: string[];
  envFile: string[];
  workdir?: string;
  privileged?: boolean;
  detachKeys?: string;
}

export async function exec(ctx: CliContext, argv: string[]): Promise<number> {
  const c = newCommand(ctx, {
    name: 'exec',
    usage: '[OPTIONS] CONTAINER COMMAND [ARG...]',
    description: 'Execute a command in a running container',
    stopAtPositional: true,
    minArgs: 2,
  })
    .option('-d, --detach', 'Detached mode: run command in the background')
    .option('-i, --interactive', 'Keep STDIN open even if not attached')
    .option('-t, --tty', 'Allocate a pseudo-TTY')
    .option('-u, --user <string>', 'Username or UID (format: "<name|uid>[:<group|gid>]")')
    .option('-e, --env <list>', 'Set environment variables', collect, [])
    .option('--env-file <list>', 'Read in a file of environment variables', collect, [])
    .option('-w, --workdir <string>', 'Working directory inside the container')
    .option('--privileged', 'Give extended privileges to the command')
    .option('--detach-keys <string>', 'Override the key sequence for detaching a container');
  const p = parse<ExecOpts>(ctx, c, argv);
  if (!p) return 0;
  const o = p.opts;
  const [id, ...cmd] = p.args;
  const env = [...o.envFile.flatMap((f) => readEnvFile(f, ctx.env)), ...o.env.map((e) => envFlag(e, ctx.env))];
  const out = ctx.io.stdout;
  const tty = !!o.tty;
  const docker = ctx.docker;
  const size: [number, number] | null = tty && out.isTTY && out.rows ? [out.rows, out.columns ?? 80] : null;
  const created = await docker.execCreate(id!, {
    User: o.user ?? '',
    Privileged: !!o.privileged,
    Tty: tty,
    ConsoleSize: size,
    AttachStdin: !o.detach && !!o.interactive,
    AttachStdout: !o.detach,
    AttachStderr: !o.detach,
    DetachKeys: o.detachKeys ?? '',
    Env: env.length ? env : null,
    WorkingDir: o.workdir ?? '',
    Cmd: cmd,
  });
  if (o.detach) {
    await docker.execStartDetached(created.Id, { Tty: tty, ConsoleSize: size });
    return 0;
  }
  const conn = await docker.execStart(created.Id, { Detach: false, Tty: tty, ConsoleSize: size });
  const session = startSession(ctx.io, conn, { tty, stdin: !!o.interactive, resize: (h, w) => docker.execResize(created.Id, h, w) });
  try {
    if (tty) session.resizeNow();
    await session.done;
  } finally {
    session.close();
  }
  const info = await docker.execInspect(created.Id);
  if (info.ExitCode === null && info.Running) throw new StatusError(1, '');
  return info.ExitCode ?? 0;
}
