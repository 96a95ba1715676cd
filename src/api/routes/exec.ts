// /containers/{id}/exec and /exec/{id}/*: exec create, start (hijacked), resize, inspect.
import { invalidArgument, messageOf } from '../../lib/errors.js';
import { frame } from '../../lib/stdcopy.js';
import type { ExecService } from '../../container/exec-service.js';
import type { ContainerService } from '../../container/container-service.js';
import { readJsonObject } from '../../lib/http/request.js';
import { sendJson } from '../../lib/http/route.js';
import type { Route } from '../server/route.js';
import { splice, streamContentType } from './containers.js';
import { bool, str, strArray, strSlice } from './wire-read.js';

export function execRoutes(d: { containers: ContainerService; execs: ExecService }): Route[] {
  const { execs, containers } = d;
  return [
    {
      method: 'POST',
      path: '/containers/{id}/exec',
      handler: async (ctx) => {
        const b = await readJsonObject(ctx.body);
        const cmd = strSlice(b, 'Cmd') ?? [];
        if (cmd.length === 0) throw invalidArgument('No exec command specified');
        const wd = str(b, 'WorkingDir') ?? '';
        if (wd && !wd.startsWith('/')) throw invalidArgument(`the working directory '${wd}' is invalid, it needs to be an absolute path`);
        const id = execs.create(ctx.params.id!, {
          cmd,
          env: strArray(b, 'Env') ?? [],
          user: str(b, 'User') ?? '',
          workingDir: wd,
          tty: bool(b, 'Tty') ?? false,
          attachStdin: bool(b, 'AttachStdin') ?? false,
          attachStdout: bool(b, 'AttachStdout') ?? false,
          attachStderr: bool(b, 'AttachStderr') ?? false,
          privileged: bool(b, 'Privileged') ?? false,
          detachKeys: str(b, 'DetachKeys') ?? '',
        });
        sendJson(ctx.res, 201, { Id: id });
      },
    },
    {
      method: 'POST',
      path: '/exec/{id}/start',
      handler: async (ctx) => {
        const b = await readJsonObject(ctx.body);
        const detach = bool(b, 'Detach') ?? false;
        const e = execs.get(ctx.params.id!);
        if (detach) {
          await execs.start(e.id, { detach: true });
          ctx.res.writeHead(200, { 'Content-Type': 'application/json' }).end();
          return;
        }
        execs.checkStartable(e.id); // state errors are HTTP statuses; after the hijack they go in-band
        // As dockerd: take over the connection first, then start, so no output can slip in
        // behind the 101 headers where a client's buffered header reader would swallow it.
        const client = ctx.hijack(streamContentType(ctx, e.config.tty));
        let started;
        try {
          started = await execs.start(e.id, { detach: false });
        } catch (err) {
          const text = `OCI runtime exec failed: ${messageOf(err)}\r\n`;
          client.end(e.config.tty ? text : frame(1, Buffer.from(text)));
          return;
        }
        const size = b.ConsoleSize;
        if (e.config.tty && Array.isArray(size) && size.length === 2 && size.every((x) => Number.isInteger(x) && x > 0))
          await execs.resize(e.id, size[0] as number, size[1] as number).catch(() => {});
        await splice(client, started.stream!, e.config.attachStdin, started.exited);
      },
    },
    {
      method: 'POST',
      path: '/exec/{id}/resize',
      handler: async (ctx) => {
        await execs.resize(ctx.params.id!, ctx.query.int('h') ?? 0, ctx.query.int('w') ?? 0);
        ctx.res.writeHead(200, { 'Content-Type': 'text/plain' }).end();
      },
    },
    {
      method: 'GET',
      path: '/exec/{id}/json',
      handler: async (ctx) => {
        const e = execs.get(ctx.params.id!);
        const c = containers.find(e.containerId);
        sendJson(ctx.res, 200, {
          ID: e.id,
          Running: e.running,
          ExitCode: e.exitCode,
          ProcessConfig: { tty: e.config.tty, entrypoint: e.config.cmd[0], arguments: e.config.cmd.slice(1), privileged: e.config.privileged, user: e.config.user || undefined },
          OpenStdin: e.config.attachStdin,
          OpenStderr: e.config.attachStderr,
          OpenStdout: e.config.attachStdout,
          CanRemove: false,
          ContainerID: e.containerId,
          DetachKeys: e.config.detachKeys,
          Pid: e.pid,
          ...(c ? {} : {}),
        });
      },
    },
  ];
}
