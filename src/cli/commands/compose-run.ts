// compose logs / exec / run / wait: the commands that stream a container's I/O.
import { randomBytes } from 'node:crypto';
import { startSession } from '../../client/attach-session.js';
import { envFlag } from '../../client/env-file.js';
import { parsePublish } from '../../client/flag-values.js';
import { containerSpec } from '../../compose/container-spec.js';
import { createContainer, ensureNetworks, ensureVolumes, executeUp, type ExecContext } from '../../compose/execute.js';
import { ensureImages } from '../../compose/images.js';
import { checkExternals } from '../../compose/preflight.js';
import { logPrefixer, streamLogs, type LogSource } from '../../compose/logs.js';
import { observeContainers, observeProject } from '../../compose/observe.js';
import { planUp, selectedServices } from '../../compose/reconcile.js';
import { timestampArg } from '../../client/units.js';
import { StatusError } from '../cli-error.js';
import { collect, newCommand, parse, toInt } from '../flags.js';
import { serviceContainer } from './compose-info.js';
import { shortName, type ComposeCli } from './compose-context.js';

interface LogsOpts {
  follow?: boolean;
  tail: string;
  timestamps?: boolean;
  since?: string;
  until?: string;
  color: boolean;
  logPrefix: boolean;
  index?: number;
}

export async function logs(cli: ComposeCli, argv: string[]): Promise<number> {
  const c = newCommand(cli.ctx, { name: 'logs', usage: '[OPTIONS] [SERVICE...]', description: 'View output from containers' })
    .option('-f, --follow', 'Follow log output')
    .option('-n, --tail <string>', 'Number of lines to show from the end of the logs for each container', 'all')
    .option('-t, --timestamps', 'Show timestamps')
    .option('--since <string>', 'Show logs since timestamp (e.g. 2013-01-02T13:23:37Z) or relative (e.g. 42m for 42 minutes)')
    .option('--until <string>', 'Show logs before a timestamp (e.g. 2013-01-02T13:23:37Z) or relative (e.g. 42m for 42 minutes)')
    .option('--no-color', 'Produce monochrome output')
    .option('--no-log-prefix', "Don't print prefix in logs")
    .option('--index <int>', 'index of the container if service has multiple replicas', toInt);
  const p = parse<LogsOpts>(cli.ctx, c, argv);
  if (!p) return 0;
  const o = p.opts;
  const project = await cli.projectName();
  const list = (await observeContainers(cli.api, project)).filter(
    (x) => (!p.args.length || p.args.includes(x.service)) && (o.index === undefined || x.number === o.index),
  );
  const sources: LogSource[] = await Promise.all(
    list.map(async (x) => ({ id: x.id, name: shortName(project, x.name), service: x.service, tty: !!(await cli.api.containerInspect(x.id)).Config.Tty })),
  );
  const prefix = logPrefixer(
    sources.map((s) => s.name),
    o.color !== false && cli.colors,
  );
  await streamLogs(
    cli.api,
    sources,
    {
      follow: o.follow,
      tail: o.tail,
      timestamps: o.timestamps,
      since: o.since ? timestampArg(o.since) : undefined,
      until: o.until ? timestampArg(o.until) : undefined,
    },
    (l) => cli.ctx.out(`${o.logPrefix === false ? '' : prefix(l.source)}${l.text}\n`),
  );
  return 0;
}

interface ExecOpts {
  detach?: boolean;
  tty: boolean;
  user?: string;
  env: string[];
  workdir?: string;
  privileged?: boolean;
  index: number;
  interactive: boolean;
}

export async function exec(cli: ComposeCli, argv: string[]): Promise<number> {
  const c = newCommand(cli.ctx, {
    name: 'exec',
    usage: '[OPTIONS] SERVICE COMMAND [ARGS...]',
    description: 'Execute a command in a running container',
    stopAtPositional: true,
    minArgs: 2,
  })
    .option('-d, --detach', 'Detached mode: Run command in the background')
    .option('-T, --no-TTY', 'Disable pseudo-TTY allocation. By default `docker compose exec` allocates a TTY.')
    .option('-u, --user <string>', 'Run the command as this user')
    .option('-e, --env <stringArray>', 'Set environment variables', collect, [])
    .option('-w, --workdir <string>', 'Path to workdir directory for this command')
    .option('--privileged', 'Give extended privileges to the process')
    .option('--index <int>', 'Index of the container if service has multiple replicas', toInt, 1)
    .option('-i, --interactive [bool]', 'Keep STDIN open even if not attached', true);
  const p = parse<ExecOpts & { TTY?: boolean }>(cli.ctx, c, argv);
  if (!p) return 0;
  const o = p.opts;
  const [service, ...cmd] = p.args as [string, ...string[]];
  const ct = await serviceContainer(cli, service, o.index);
  if (ct.state !== 'running') throw new StatusError(1, `service "${service}" is not running`);
  // Compose allocates a TTY unless -T, and only when stdin is a terminal.
  const tty = o.TTY !== false && !!cli.ctx.io.stdin.isTTY;
  const out = cli.ctx.io.stdout;
  const size: [number, number] | null = tty && out.isTTY && out.rows ? [out.rows, out.columns ?? 80] : null;
  const api = cli.ctx.docker;
  const env = o.env.map((e) => envFlag(e, cli.ctx.env));
  const created = await api.execCreate(ct.id, {
    User: o.user ?? '',
    Privileged: !!o.privileged,
    Tty: tty,
    ConsoleSize: size,
    AttachStdin: !o.detach && o.interactive,
    AttachStdout: !o.detach,
    AttachStderr: !o.detach,
    Env: env.length ? env : null,
    WorkingDir: o.workdir ?? '',
    Cmd: cmd,
  });
  if (o.detach) {
    await api.execStartDetached(created.Id, { Tty: tty });
    return 0;
  }
  const conn = await api.execStart(created.Id, { Detach: false, Tty: tty, ConsoleSize: size });
  const session = startSession(cli.ctx.io, conn, { tty, stdin: o.interactive, resize: (h, w) => api.execResize(created.Id, h, w) });
  try {
    if (tty) session.resizeNow();
    await session.done;
  } finally {
    session.close();
  }
  return (await api.execInspect(created.Id)).ExitCode ?? 0;
}

interface RunOpts {
  rm?: boolean;
  detach?: boolean;
  TTY?: boolean;
  deps: boolean;
  env: string[];
  publish: string[];
  servicePorts?: boolean;
  entrypoint?: string;
  name?: string;
  user?: string;
  workdir?: string;
  label: string[];
  volume: string[];
  interactive: boolean;
  build?: boolean;
  removeOrphans?: boolean;
  quietPull?: boolean;
  useAliases?: boolean;
  capAdd: string[];
  capDrop: string[];
}

export async function run(cli: ComposeCli, argv: string[]): Promise<number> {
  const c = newCommand(cli.ctx, {
    name: 'run',
    usage: '[OPTIONS] SERVICE [COMMAND] [ARGS...]',
    description: 'Run a one-off command on a service',
    stopAtPositional: true,
    minArgs: 1,
  })
    .option('--rm', 'Automatically remove the container when it exits')
    .option('-d, --detach', 'Run container in background and print container ID')
    .option('-T, --no-TTY', 'Disable pseudo-TTY allocation (default: auto-detected)')
    .option('--no-deps', "Don't start linked services")
    .option('-e, --env <stringArray>', 'Set environment variables', collect, [])
    .option('-p, --publish <stringArray>', "Publish a container's port(s) to the host", collect, [])
    .option('-P, --service-ports', "Run command with all service's ports enabled and mapped to the host")
    .option('--entrypoint <string>', 'Override the entrypoint of the image')
    .option('--name <string>', 'Assign a name to the container')
    .option('-u, --user <string>', 'Run as specified username or uid')
    .option('-w, --workdir <string>', 'Working directory inside the container')
    .option('-l, --label <stringArray>', 'Add or override a label', collect, [])
    .option('-v, --volume <stringArray>', 'Bind mount a volume', collect, [])
    .option('-i, --interactive [bool]', 'Keep STDIN open even if not attached', true)
    .option('--build', 'Build image before starting container')
    .option('--remove-orphans', 'Remove containers for services not defined in the Compose file')
    .option('--quiet-pull', 'Pull without printing progress information')
    .option('--use-aliases', "Use the service's network useAliases in the network(s) the container connects to")
    .option('--cap-add <list>', 'Add Linux capabilities', collect, [])
    .option('--cap-drop <list>', 'Drop Linux capabilities', collect, []);
  const p = parse<RunOpts>(cli.ctx, c, argv);
  if (!p) return 0;
  const o = p.opts;
  const [service, ...cmd] = p.args as [string, ...string[]];
  const project = await cli.project([service]);
  if (!project.services[service]) project.services[service] = project.disabledServices[service]!;
  const progress = cli.progress();
  const x: ExecContext = { api: cli.api, project, progress };
  try {
    // Dependencies come up first (as `up -d` of them); the service itself only gets its image.
    const deps = o.deps === false ? [] : selectedServices(project, { services: [service] }).filter((s) => s !== service);
    await checkExternals(cli.api, project, [...deps, service]);
    const ids = await ensureImages(cli.api, project, [...deps, service], { build: o.build, quiet: o.quietPull }, progress);
    const observed = await observeProject(cli.api, project.name);
    if (deps.length) await executeUp(x, planUp(project, observed, ids, { services: deps, removeOrphans: o.removeOrphans }));
    // The one-off container's own networks and volumes, whether or not dependencies made them.
    const own = planUp(project, await observeProject(cli.api, project.name), ids, { services: [service], noDeps: true });
    await ensureNetworks(x, own);
    await ensureVolumes(x, own);
    const name = o.name ?? `${project.name}-${service}-run-${randomBytes(6).toString('hex')}`;
    const spec = containerSpec({
      project,
      service,
      number: 1,
      name,
      oneoff: true,
      imageId: ids[service],
      containerOf: () => {
        throw new StatusError(1, `service "${service}" shares another service's namespace: start it with up first`);
      },
    });
    const tty = o.TTY !== false && !!cli.ctx.io.stdin.isTTY && !o.detach;
    const b = spec.body;
    const hc = b.HostConfig!;
    if (cmd.length) b.Cmd = cmd;
    if (o.entrypoint !== undefined) b.Entrypoint = o.entrypoint === '' ? [''] : [o.entrypoint];
    if (o.user) b.User = o.user;
    if (o.workdir) b.WorkingDir = o.workdir;
    b.Env = [...(b.Env ?? []), ...o.env.map((e) => envFlag(e, cli.ctx.env))];
    for (const l of o.label) {
      const i = l.indexOf('=');
      b.Labels![i < 0 ? l : l.slice(0, i)] = i < 0 ? '' : l.slice(i + 1);
    }
    b.Labels!['com.docker.compose.slug'] = randomBytes(32).toString('hex');
    b.Tty = tty;
    b.OpenStdin = o.interactive && !o.detach;
    b.AttachStdin = o.interactive && !o.detach;
    b.AttachStdout = !o.detach;
    b.AttachStderr = !o.detach;
    b.StdinOnce = !!b.AttachStdin;
    hc.RestartPolicy = { Name: 'no' };
    hc.AutoRemove = !!o.rm;
    if (!o.servicePorts) hc.PortBindings = {};
    for (const pub of o.publish)
      for (const { port, binding } of parsePublish(pub)) {
        (hc.PortBindings![port] ??= []).push(binding);
        (b.ExposedPorts ??= {})[port] = {};
      }
    if (o.volume.length) hc.Binds = [...(hc.Binds ?? []), ...o.volume];
    if (o.capAdd.length) hc.CapAdd = [...(hc.CapAdd ?? []), ...o.capAdd];
    if (o.capDrop.length) hc.CapDrop = [...(hc.CapDrop ?? []), ...o.capDrop];
    if (!o.useAliases) for (const ep of Object.values(b.NetworkingConfig?.EndpointsConfig ?? {})) ep.Aliases = null;
    progress.close();
    const id = await createContainer(x, spec);
    const api = cli.ctx.docker;
    if (o.detach) {
      await api.containerStart(id);
      cli.ctx.out(`${name}\n`);
      return 0;
    }
    const conn = await api.containerAttach(id, { stream: true, stdin: !!b.AttachStdin, stdout: true, stderr: true });
    const waitP = (await api.containerWaitRegistered(id, o.rm ? 'removed' : 'next-exit')).result;
    const session = startSession(cli.ctx.io, conn, { tty, stdin: !!b.AttachStdin, resize: (h, w) => api.containerResize(id, h, w) });
    try {
      await api.containerStart(id);
      if (tty) session.resizeNow();
      await session.done;
      if (session.detached) return 0;
      return (await waitP).StatusCode;
    } finally {
      session.close();
    }
  } finally {
    progress.close();
  }
}

export async function wait(cli: ComposeCli, argv: string[]): Promise<number> {
  const c = newCommand(cli.ctx, {
    name: 'wait',
    usage: 'SERVICE [SERVICE...] [OPTIONS]',
    description: 'Block until containers of all (or specified) services stop.',
    minArgs: 1,
  }).option('--down-project', 'Drops project when the first container stops');
  const p = parse<{ downProject?: boolean }>(cli.ctx, c, argv);
  if (!p) return 0;
  const project = await cli.projectName();
  const list = (await observeContainers(cli.api, project, { oneoff: false })).filter((x) => p.args.includes(x.service));
  if (!list.length) throw new StatusError(1, 'no containers for project');
  const codes = await Promise.all(list.map(async (x) => (await cli.api.containerWait(x.id, 'not-running')).StatusCode));
  for (const [i, x] of list.entries()) cli.ctx.out(`${x.name} exited with code ${codes[i]}\n`);
  return codes.find((n) => n !== 0) ?? 0;
}

export async function events(cli: ComposeCli, argv: string[]): Promise<number> {
  const c = newCommand(cli.ctx, { name: 'events', usage: '[OPTIONS] [SERVICE...]', description: 'Receive real time events from containers' })
    .option('--json', 'Output events as a stream of json objects')
    .option('--since <string>', 'Show all events created since timestamp')
    .option('--until <string>', 'Stream events until this timestamp');
  const p = parse<{ json?: boolean; since?: string; until?: string }>(cli.ctx, c, argv);
  if (!p) return 0;
  const project = await cli.projectName();
  const stream = cli.ctx.docker.events({
    since: p.opts.since ? timestampArg(p.opts.since) : undefined,
    until: p.opts.until ? timestampArg(p.opts.until) : undefined,
    filters: { type: ['container'], label: [`com.docker.compose.project=${project}`] },
  });
  for await (const e of stream) {
    const attrs = { ...e.Actor?.Attributes };
    const service = attrs['com.docker.compose.service'] ?? '';
    if (p.args.length && !p.args.includes(service)) continue;
    // Compose shows the event's own attributes, not the container's labels.
    for (const k of Object.keys(attrs)) if (k.startsWith('com.docker.compose.')) delete attrs[k];
    const time = new Date(Math.floor(e.timeNano / 1e6)).toISOString();
    if (p.opts.json) cli.ctx.out(`${JSON.stringify({ action: e.Action, attributes: attrs, id: e.Actor?.ID, service, time, type: e.Type })}\n`);
    else
      cli.ctx.out(
        `${time.replace('T', ' ').replace('Z', '')} ${e.Type} ${e.Action} ${e.Actor?.ID} (${Object.keys(attrs)
          .sort()
          .map((k) => `${k}=${attrs[k]}`)
          .join(', ')})\n`,
      );
  }
  return 0;
}

export async function cp(cli: ComposeCli, argv: string[]): Promise<number> {
  const c = newCommand(cli.ctx, {
    name: 'cp',
    usage: '[OPTIONS] SERVICE:SRC_PATH DEST_PATH|-\n\tdocker compose cp [OPTIONS] SRC_PATH|- SERVICE:DEST_PATH',
    description: 'Copy files/folders between a service container and the local filesystem',
    exactArgs: 2,
  })
    .option('--index <int>', 'Index of the container if service has multiple replicas', toInt, 1)
    .option('-a, --archive', 'Archive mode (copy all uid/gid information)')
    .option('-L, --follow-link', 'Always follow symbol link in SRC_PATH')
    .option('--all', 'Include containers created by the run command');
  const p = parse<{ index: number; archive?: boolean; followLink?: boolean }>(cli.ctx, c, argv);
  if (!p) return 0;
  // SERVICE:PATH becomes CONTAINER:PATH for the one cp there is (the docker verb's).
  const args = await Promise.all(
    p.args.map(async (a) => {
      const m = /^([^:/.][^:/]*):(.*)$/.exec(a);
      if (!m) return a;
      const ct = await serviceContainer(cli, m[1]!, p.opts.index);
      return `${ct.name}:${m[2]}`;
    }),
  );
  const { cp: dockerCp } = await import('./cp.js');
  return dockerCp(cli.ctx, [...(p.opts.archive ? ['-a'] : []), ...(p.opts.followLink ? ['-L'] : []), ...args]);
}
