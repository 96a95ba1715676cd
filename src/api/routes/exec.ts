// /containers/{id}/exec and /exec/{id}/*: exec create, start (hijacked), resize, inspect.
import { invalidArgument, messageOf } from '../../lib/errors.js';
import { frame, FrameUnwrapper, FrameWrapper } from '../../lib/stdcopy.js';
import type { Duplex } from 'node:stream';
import type { ExecConfig, ExecRecord } from '../../container/exec-service.js';
import { readJsonObject } from '../../lib/http/request.js';
import { sendJson } from '../../lib/http/route.js';
import type { Route } from '../server/route.js';
import { streamContentType } from './containers.js';
import { detachKeysFrom, splice } from './hijack-stream.js';
import { bool, str, strArray, strSlice, ttySize } from './wire-read.js';
import type * as Wire from '../types/index.js';

/** What the exec routes need of the container domain's ExecService. */
export interface ExecBackend {
  create(containerRef: string, config: ExecConfig): string;
  get(id: string): ExecRecord;
  /** Throws the state errors a start would meet (while they can still be HTTP statuses). */
  checkStartable(id: string): ExecRecord;
  start(id: string, o: { detach: boolean }): Promise<{ stream?: Duplex; exited: Promise<number> }>;
  resize(id: string, rows: number, cols: number): Promise<void>;
}

export interface ExecRouteDeps {
  execs: ExecBackend;
}

function execInspectWire(e: ExecRecord): Wire.ExecInspect {
  return {
    ID: e.id,
    Running: e.running,
    ExitCode: e.exitCode,
    ProcessConfig: {
      tty: e.config.tty,
      entrypoint: e.config.cmd[0] ?? '',
      arguments: e.config.cmd.slice(1),
      privileged: e.config.privileged,
      user: e.config.user || undefined,
    },
    OpenStdin: e.config.attachStdin,
    OpenStderr: e.config.attachStderr,
    OpenStdout: e.config.attachStdout,
    CanRemove: false,
    ContainerID: e.containerId,
    DetachKeys: e.config.detachKeys,
    Pid: e.pid,
  };
}

export function execRoutes(d: ExecRouteDeps): Route[] {
  const { execs } = d;
  return [
    {
      method: 'POST',
      path: '/containers/{id}/exec',
      handler: async (ctx) => {
        const b = await readJsonObject(ctx.body);
        const cmd = strSlice(b, 'Cmd') ?? [];
        if (cmd.length === 0) throw invalidArgument('No exec command specified');
        const detachKeys = str(b, 'DetachKeys') ?? '';
        if (detachKeys) detachKeysFrom(detachKeys, 'escape'); // a 400 now, as dockerd's create
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
          detachKeys,
        });
        const out: Wire.IdResponse = { Id: id };
        sendJson(ctx.res, 201, out);
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
        // As dockerd: the start request's Tty (absent: false) decides the framing the client
        // gets, whatever the exec was created with (docker-py creates with tty=True and starts
        // with Tty false, expecting frames); the process itself has a TTY as it was created.
        const framed = !(bool(b, 'Tty') ?? false);
        // As dockerd: take over the connection first, then start, so no output can slip in
        // behind the 101 headers where a client's buffered header reader would swallow it.
        const client = ctx.hijack(streamContentType(ctx, !framed));
        let started;
        try {
          started = await execs.start(e.id, { detach: false });
        } catch (err) {
          const text = `OCI runtime exec failed: ${messageOf(err)}\r\n`;
          client.end(framed ? frame(1, Buffer.from(text)) : text);
          return;
        }
        const size = b.ConsoleSize;
        if (e.config.tty && Array.isArray(size) && size.length === 2 && size.every((x) => Number.isInteger(x) && x > 0))
          await execs.resize(e.id, size[0] as number, size[1] as number).catch(() => {});
        // The monitor frames exactly when the exec has no TTY.
        const output = framed === e.config.tty ? (framed ? new FrameWrapper(1) : new FrameUnwrapper()) : undefined;
        await splice(client, started.stream!, {
          stdin: e.config.attachStdin,
          // dockerd: the exec's own keys (set at create), on TTY execs only.
          detachKeys: e.config.tty && e.config.attachStdin ? detachKeysFrom(e.config.detachKeys, 'escape') : undefined,
          output,
          beforeEnd: started.exited,
        });
      },
    },
    {
      method: 'POST',
      path: '/exec/{id}/resize',
      handler: async (ctx) => {
        const { h, w } = ttySize(ctx.query);
        await execs.resize(ctx.params.id!, h, w);
        ctx.res.writeHead(200, { 'Content-Type': 'text/plain' }).end();
      },
    },
    {
      method: 'GET',
      path: '/exec/{id}/json',
      handler: async (ctx) => {
        sendJson(ctx.res, 200, execInspectWire(execs.get(ctx.params.id!)));
      },
    },
  ];
}
