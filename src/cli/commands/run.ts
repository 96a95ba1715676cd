// run and create: docker's sequence — create (pull on "No such image"), attach BEFORE start,
// register wait (next-exit, or removed with --rm) BEFORE start, start, resize, exit with the
// container's status.
import { ApiError, isApiError } from '../../api/client/errors.js';
import type { AttachOptions, DockerClient } from '../../api/client/docker-client.js';
import { demuxWriter } from '../../api/client/stdcopy.js';
import { writeFileSync } from 'node:fs';
import { startSession, type Session } from '../../client/attach-session.js';
import { StatusError } from '../cli-error.js';
import { addContainerFlags, type ContainerFlags } from '../container-flags.js';
import type { CliContext } from '../context.js';
import { buildCreateRequest, type CreatePlan } from '../create-request.js';
import { newCommand, parse } from '../flags.js';
import { showJsonMessages } from '../../client/jsonmessage.js';
import { checkAnyReference, isNamedReference, splitRef } from '../../client/reference.js';

async function pullImage(ctx: CliContext, image: string, platform: string | undefined, quiet: boolean): Promise<void> {
  const r = splitRef(image);
  const q = { fromImage: r.repo, tag: r.digest ?? r.tag, platform };
  await showJsonMessages(ctx.docker.imageCreate(q), (s) => {
    if (!quiet) ctx.err(s);
  });
}

/** POST /containers/create, pulling once on "No such image" like docker (--pull=missing). */
export async function createContainer(ctx: CliContext, plan: CreatePlan, pull: string, quiet: boolean): Promise<string> {
  const image = plan.body.Image!;
  checkAnyReference(image);
  const create = () => ctx.docker.containerCreate(plan.body, { name: plan.name, platform: plan.platform });
  if (pull === 'always') await pullImage(ctx, image, plan.platform, quiet);
  let res;
  try {
    res = await create();
  } catch (e) {
    // As the docker CLI: a local image of another platform than --platform asks for is pulled too.
    if (!(isApiError(e, 404) && /No such image|does not match the specified platform/i.test(e.message)) || pull === 'never' || !isNamedReference(image))
      throw e;
    ctx.err(`Unable to find image '${splitRef(image).familiar}' locally\n`);
    await pullImage(ctx, image, plan.platform, quiet);
    res = await create();
  }
  for (const w of res.Warnings ?? []) ctx.err(`WARNING: ${w}\n`);
  return res.Id;
}

/** docker's reportError: "docker: <message>", optionally the help hint. */
function reportRunError(ctx: CliContext, e: unknown, withHelp: boolean): string {
  const msg = e instanceof ApiError ? `Error response from daemon: ${e.message}` : (e as Error).message;
  ctx.err(`${ctx.prog}: ${msg}${withHelp ? `\n\nRun '${ctx.prog} run --help' for more information` : ''}\n`);
  return msg;
}

/** Docker's exit statuses for a failed create/start: 127 not found, 126 cannot invoke, else 125. */
export function startFailureStatus(message: string): number {
  if (/executable file not found|no such file or directory|system cannot find the file specified/.test(message)) return 127;
  if (/permission denied|is a directory/.test(message)) return 126;
  return 125;
}

/**
 * The attach of `run` without stdin or a TTY as a Session: `attached` once the daemon upgraded
 * the connection, `done` when the output ended. undefined over TCP (the hijack path then).
 */
function outputOnlyAttach(ctx: CliContext, docker: DockerClient, id: string, o: AttachOptions): (Session & { attached: Promise<unknown> }) | undefined {
  const sink = demuxWriter(ctx.out.bind(ctx), ctx.err.bind(ctx));
  const streamed = docker.containerAttachOutput(id, o, sink.push);
  if (!streamed) return undefined;
  let closed = false;
  const done = streamed.done.then(
    () => sink.end(),
    (e) => {
      // a reset, or our own close() after a failed start, is the end of output, not an error
      if (!closed && (e as { code?: string }).code !== 'ECONNRESET') throw e;
    },
  );
  done.catch(() => {}); // awaited by run once attached; a failed attach rejects `attached` too
  return {
    attached: streamed.head,
    done,
    resizeNow: () => {},
    close: () => {
      if (closed) return;
      closed = true;
      streamed.close();
    },
    detached: false,
  };
}

function consoleSize(ctx: CliContext, tty: boolean): [number, number] {
  if (!tty) return [0, 0]; // process.stdout is built only when it is needed
  const out = ctx.io.stdout;
  return out.isTTY && out.rows && out.columns ? [out.rows, out.columns] : [0, 0];
}

function parseRunLike(ctx: CliContext, argv: string[], run: boolean) {
  const c = addContainerFlags(
    newCommand(ctx, {
      name: run ? 'run' : 'create',
      usage: '[OPTIONS] IMAGE [COMMAND] [ARG...]',
      description: run ? 'Create and run a new container from an image' : 'Create a new container',
      stopAtPositional: true,
      minArgs: 1,
    }),
    run,
  );
  const p = parse<ContainerFlags>(ctx, c, argv);
  if (!p) return null;
  let plan: CreatePlan;
  try {
    plan = buildCreateRequest(p.opts, p.args, ctx.env, consoleSize(ctx, !!p.opts.tty));
  } catch (e) {
    throw new StatusError(125, `${ctx.prog}: ${(e as Error).message}\n\nRun '${ctx.prog} ${run ? 'run' : 'create'} --help' for more information`);
  }
  return { o: p.opts, plan };
}

export async function create(ctx: CliContext, argv: string[]): Promise<number> {
  const p = parseRunLike(ctx, argv, false);
  if (!p) return 0;
  const id = await createContainer(ctx, p.plan, p.o.pull ?? 'missing', !!p.o.quiet);
  if (p.o.cidfile) writeFileSync(p.o.cidfile, id);
  ctx.out(`${id}\n`);
  return 0;
}

async function startOrStatus(ctx: CliContext, docker: DockerClient, id: string): Promise<void> {
  try {
    await docker.containerStart(id);
  } catch (e) {
    throw new StatusError(startFailureStatus(reportRunError(ctx, e, true)), '');
  }
}

export async function run(ctx: CliContext, argv: string[]): Promise<number> {
  const p = parseRunLike(ctx, argv, true);
  if (!p) return 0;
  const { o, plan } = p;
  const docker = ctx.docker;
  if (o.detach && o.attach.length) throw new StatusError(1, 'conflicting options: cannot specify both --attach and --detach');
  // docker's In().CheckTty, before anything is created: a TTY fed from a non-terminal stdin
  if (!o.detach && plan.body.AttachStdin && plan.body.Tty && !ctx.io.stdin.isTTY) throw new StatusError(1, 'the input device is not a TTY');
  let id: string;
  try {
    id = await createContainer(ctx, plan, o.pull ?? 'missing', !!o.quiet);
  } catch (e) {
    throw new StatusError(startFailureStatus(reportRunError(ctx, e, true)), '');
  }
  if (o.cidfile) writeFileSync(o.cidfile, id);
  const body = plan.body;
  if (o.detach) {
    await startOrStatus(ctx, docker, id);
    ctx.out(`${id}\n`);
    return 0;
  }
  const tty = !!body.Tty;
  const wantStdin = !!body.AttachStdin;
  const attached = body.AttachStdin || body.AttachStdout || body.AttachStderr;
  const attachOpts = { stream: true, stdin: wantStdin, stdout: !!body.AttachStdout, stderr: !!body.AttachStderr, detachKeys: o.detachKeys };
  // Output only (no stdin, no TTY), over a unix socket: the attach is read without node:http or
  // stream objects, and its frames go out with synchronous writes. Attach and wait are asked at
  // once (both only have to be in place before the start).
  const out = attached && !wantStdin && !tty ? outputOnlyAttach(ctx, docker, id, attachOpts) : undefined;
  const [conn, wait] = await Promise.all([
    attached && !out ? docker.containerAttach(id, attachOpts) : undefined,
    docker.containerWaitRegistered(id, o.rm ? 'removed' : 'next-exit'),
    out?.attached,
  ]);
  const waitP = wait.result;
  const session = conn
    ? startSession(ctx.io, conn, { tty, stdin: wantStdin, detachKeys: o.detachKeys, resize: (h, w) => docker.containerResize(id, h, w) })
    : out;
  const sigs: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'];
  const proxy = (sig: NodeJS.Signals) => {
    docker.containerKill(id, sig).catch(() => {});
  };
  if (!tty && o.sigProxy !== false) for (const s of sigs) process.on(s, proxy);
  try {
    try {
      await startOrStatus(ctx, docker, id);
    } catch (e) {
      session?.close();
      session?.done.catch(() => {});
      conn?.socket.destroy();
      throw e;
    }
    if (tty) session?.resizeNow();
    if (session) await session.done;
    if (session?.detached) return 0; // docker: detaching ends the client, the container runs on
    const status = await waitP;
    if (status.Error?.Message) ctx.err(`${ctx.prog}: ${status.Error.Message}\n`);
    return status.StatusCode;
  } finally {
    for (const s of sigs) process.off(s, proxy);
    session?.close();
  }
}
