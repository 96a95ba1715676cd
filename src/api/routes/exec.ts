// /containers/{id}/exec and /exec/{id}/*: exec create, start (hijacked), resize, inspect.
import { invalidArgument } from '../../lib/errors.js';
import type { ExecService } from '../../container/exec-service.js';
import type { ContainerService } from '../../container/container-service.js';
import { readJsonObject } from '../server/request.js';
import { sendJson, type Route } from '../server/route.js';
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
        const { stream, exited } = await execs.start(e.id, { detach });
        if (detach || !stream) {
          ctx.res.writeHead(200, { 'Content-Type': 'application/json' }).end();
          void exited;
          return;
        }
        const client = ctx.hijack(streamContentType(ctx, e.config.tty));
        await splice(client, stream, e.config.attachStdin, exited);
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
