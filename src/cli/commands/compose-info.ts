// compose ps / ls / config / images / port / top / version: read-only views of a project.
import { writeFileSync } from 'node:fs';
import type * as T from '../../api/types/index.js';
import { configToJson, configToYaml, imageNamesOf, networkNamesOf, profileNamesOf, volumeNamesOf } from '../../compose/config-output.js';
import { listProjects, observeContainers, type ObservedContainer } from '../../compose/observe.js';
import { COMPOSE_VERSION } from '../../compose/version.js';
import { humanSize } from '../../lib/go-units.js';
import { StatusError } from '../cli-error.js';
import { ContainerContext } from '../format/container-context.js';
import { renderList } from '../format/render.js';
import { tabwrite } from '../format/tabwriter.js';
import { collect, newCommand, parse, toInt } from '../flags.js';
import type { ComposeCli } from './compose-context.js';

const PS_HEADERS = {
  Name: 'NAME',
  Image: 'IMAGE',
  Command: 'COMMAND',
  Service: 'SERVICE',
  RunningFor: 'CREATED',
  Status: 'STATUS',
  Ports: 'PORTS',
  ID: 'CONTAINER ID',
  State: 'STATE',
  Project: 'PROJECT',
  Health: 'HEALTH',
  ExitCode: 'EXIT CODE',
};
const PS_DEFAULT = 'table {{.Name}}\t{{.Image}}\t{{.Command}}\t{{.Service}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}';

/** Compose's ps row: docker's container fields plus the service, project, health and exit code. */
class ComposeContainerContext extends ContainerContext {
  constructor(
    private readonly o: ObservedContainer,
    trunc: boolean,
  ) {
    super(o.summary, trunc);
  }
  get Name(): string {
    return this.o.name;
  }
  get Service(): string {
    return this.o.service;
  }
  get Project(): string {
    return this.o.labels['com.docker.compose.project'] ?? '';
  }
  get Health(): string {
    return /\((healthy|unhealthy|health: starting)\)/.exec(this.o.status)?.[1]?.replace('health: ', '') ?? '';
  }
  get ExitCode(): number {
    return Number(/^Exited \((\d+)\)/.exec(this.o.status)?.[1] ?? 0);
  }
  get Publishers(): { URL: string; TargetPort: number; PublishedPort: number; Protocol: string }[] {
    return (this.o.summary.Ports ?? []).map((p) => ({ URL: p.IP ?? '', TargetPort: p.PrivatePort, PublishedPort: p.PublicPort ?? 0, Protocol: p.Type }));
  }
  override toJSON(): Record<string, string | null> {
    return {
      ...super.toJSON(),
      Name: this.Name,
      Service: this.Service,
      Project: this.Project,
      Health: this.Health,
      ExitCode: this.ExitCode as unknown as string,
      Publishers: this.Publishers as unknown as string,
    };
  }
}

interface PsOpts {
  all?: boolean;
  quiet?: boolean;
  services?: boolean;
  status: string[];
  format?: string;
  filter: string[];
  trunc: boolean;
  orphans: boolean;
}

export async function ps(cli: ComposeCli, argv: string[]): Promise<number> {
  const c = newCommand(cli.ctx, { name: 'ps', usage: '[OPTIONS] [SERVICE...]', description: 'List containers' })
    .option('-a, --all', 'Show all stopped containers (including those created by the run command)')
    .option('-q, --quiet', 'Only display IDs')
    .option('--services', 'Display services')
    .option('--status <stringArray>', 'Filter services by status. Values: [paused | restarting | removing | running | dead | created | exited]', collect, [])
    .option('--filter <string>', 'Filter services by a property (supported filters: status)', collect, [])
    .option('--format <string>', 'Format output using a custom template', 'table')
    .option('--no-trunc', "Don't truncate output")
    .option('--orphans [bool]', 'Include orphaned services (not declared by project)', true);
  const p = parse<PsOpts>(cli.ctx, c, argv);
  if (!p) return 0;
  const o = p.opts;
  const statuses = [
    ...o.status,
    ...o.filter.map((f) =>
      f.startsWith('status=')
        ? f.slice(7)
        : (() => {
            throw new StatusError(1, `unsupported filter: ${f}`);
          })(),
    ),
  ];
  const name = await cli.projectName();
  let list = await observeContainers(cli.api, name);
  if (!o.all && !statuses.length) list = list.filter((x) => !x.oneoff && x.state !== 'exited' && x.state !== 'created' && x.state !== 'dead');
  if (p.args.length) list = list.filter((x) => p.args.includes(x.service));
  if (statuses.length) list = list.filter((x) => statuses.includes(x.state));
  if (o.services) {
    cli.ctx.out([...new Set(list.map((x) => x.service))].map((s) => `${s}\n`).join(''));
    return 0;
  }
  if (o.quiet) {
    cli.ctx.out(list.map((x) => `${x.id}\n`).join(''));
    return 0;
  }
  list.sort((a, b) => a.name.localeCompare(b.name));
  const rows = list.map((x) => new ComposeContainerContext(x, o.trunc !== false));
  if (o.format === 'json') {
    cli.ctx.out(rows.map((r) => `${JSON.stringify(r)}\n`).join(''));
    return 0;
  }
  cli.ctx.out(renderList({ format: o.format === 'table' ? '' : (o.format ?? ''), defaultFormat: PS_DEFAULT, headers: PS_HEADERS }, rows));
  return 0;
}

export async function ls(cli: ComposeCli, argv: string[]): Promise<number> {
  const c = newCommand(cli.ctx, { name: 'ls', usage: '[OPTIONS]', description: 'List running compose projects', maxArgs: 0 })
    .option('-a, --all', 'Show all stopped Compose projects')
    .option('-q, --quiet', 'Only display project names')
    .option('--format <string>', 'Format the output. Values: [table | json]', 'table')
    .option('--filter <filter>', 'Filter output based on conditions provided', collect, []);
  const p = parse<{ all?: boolean; quiet?: boolean; format: string; filter: string[] }>(cli.ctx, c, argv);
  if (!p) return 0;
  let projects = await listProjects(cli.api, !!p.opts.all);
  for (const f of p.opts.filter) {
    const m = /^name=(.*)$/.exec(f);
    if (!m) throw new StatusError(1, `invalid filter '${f}'`);
    projects = projects.filter((x) => x.name.includes(m[1]!));
  }
  if (p.opts.quiet) {
    cli.ctx.out(projects.map((x) => `${x.name}\n`).join(''));
    return 0;
  }
  const rows = projects.map((x) => ({ Name: x.name, Status: combinedStatus(x.states), ConfigFiles: x.configFiles }));
  if (p.opts.format === 'json') {
    cli.ctx.out(`${JSON.stringify(rows)}\n`);
    return 0;
  }
  cli.ctx.out(tabwrite(`NAME\tSTATUS\tCONFIG FILES\n${rows.map((r) => `${r.Name}\t${r.Status}\t${r.ConfigFiles}\n`).join('')}`));
  return 0;
}

/** "running(2), exited(1)" as compose ls prints a project's states. */
function combinedStatus(states: string[]): string {
  const counts = new Map<string, number>();
  for (const s of states) counts.set(s, (counts.get(s) ?? 0) + 1);
  return [...counts]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([s, n]) => `${s}(${n})`)
    .join(', ');
}

export async function config(cli: ComposeCli, argv: string[]): Promise<number> {
  const c = newCommand(cli.ctx, { name: 'config', usage: '[OPTIONS] [SERVICE...]', description: 'Parse, resolve and render compose file in canonical format' })
    .option('--services', 'Print the service names, one per line.')
    .option('--volumes', 'Print the volume names, one per line.')
    .option('--networks', 'Print the network names, one per line.')
    .option('--profiles', 'Print the profile names, one per line.')
    .option('--images', 'Print the image names, one per line.')
    .option('-q, --quiet', "Only validate the configuration, don't print anything")
    .option('--format <string>', 'Format the output. Values: [yaml | json]', 'yaml')
    .option('-o, --output <string>', 'Save to file (default to stdout)')
    .option('--no-interpolate', "Don't interpolate environment variables")
    .option('--no-normalize', "Don't normalize compose model")
    .option('--resolve-image-digests', 'Pin image tags to digests');
  const p = parse<{
    services?: boolean;
    volumes?: boolean;
    networks?: boolean;
    profiles?: boolean;
    images?: boolean;
    quiet?: boolean;
    format: string;
    output?: string;
  }>(cli.ctx, c, argv);
  if (!p) return 0;
  const o = p.opts;
  const project = await cli.project(p.args);
  if (o.quiet) return 0;
  const lines = (xs: string[]) => {
    cli.ctx.out(xs.map((x) => `${x}\n`).join(''));
    return 0;
  };
  if (o.services) return lines(Object.keys(project.services));
  if (o.volumes) return lines(volumeNamesOf(project));
  if (o.networks) return lines(networkNamesOf(project));
  if (o.profiles) return lines(profileNamesOf(project));
  if (o.images) return lines(imageNamesOf(project));
  if (o.format !== 'yaml' && o.format !== 'json') throw new StatusError(1, `unsupported format ${JSON.stringify(o.format)}`);
  const shown = p.args.length ? { ...project, services: Object.fromEntries(p.args.map((s) => [s, project.services[s]!])) } : project;
  const text = o.format === 'json' ? configToJson(shown) : configToYaml(shown);
  if (o.output) {
    // A static import: the CLI bundle runs as a vm.Script, where import() has no loader.
    writeFileSync(o.output, text);
    return 0;
  }
  cli.ctx.out(text);
  return 0;
}

export async function images(cli: ComposeCli, argv: string[]): Promise<number> {
  const c = newCommand(cli.ctx, { name: 'images', usage: '[OPTIONS] [SERVICE...]', description: 'List images used by the created containers' })
    .option('-q, --quiet', 'Only display IDs')
    .option('--format <string>', 'Format the output. Values: [table | json]', 'table');
  const p = parse<{ quiet?: boolean; format: string }>(cli.ctx, c, argv);
  if (!p) return 0;
  const name = await cli.projectName();
  const list = (await observeContainers(cli.api, name)).filter((x) => !p.args.length || p.args.includes(x.service));
  const infos = new Map<string, T.ImageInspect | undefined>();
  for (const x of list) if (!infos.has(x.imageId)) infos.set(x.imageId, await cli.api.imageInspect(x.imageId).catch(() => undefined));
  if (p.opts.quiet) {
    cli.ctx.out([...new Set(list.map((x) => x.imageId))].map((id) => `${id.replace(/^sha256:/, '').slice(0, 12)}\n`).join(''));
    return 0;
  }
  const rows = list.map((x) => {
    const info = infos.get(x.imageId);
    const [repo, tag] = splitImage(x.image);
    return { ContainerName: x.name, Repository: repo, Tag: tag, ID: x.imageId.replace(/^sha256:/, '').slice(0, 12), Size: info?.Size ?? 0 };
  });
  if (p.opts.format === 'json') {
    cli.ctx.out(`${JSON.stringify(rows)}\n`);
    return 0;
  }
  cli.ctx.out(
    tabwrite(
      `CONTAINER\tREPOSITORY\tTAG\tIMAGE ID\tSIZE\n${rows.map((r) => `${r.ContainerName}\t${r.Repository}\t${r.Tag}\t${r.ID}\t${humanSize(r.Size)}\n`).join('')}`,
    ),
  );
  return 0;
}

function splitImage(image: string): [string, string] {
  const at = image.indexOf('@');
  const name = at >= 0 ? image.slice(0, at) : image;
  const colon = name.lastIndexOf(':');
  return colon > name.lastIndexOf('/') ? [name.slice(0, colon), name.slice(colon + 1)] : [name, 'latest'];
}

async function serviceContainer(cli: ComposeCli, service: string, index: number): Promise<ObservedContainer> {
  const name = await cli.projectName();
  const list = (await observeContainers(cli.api, name, { oneoff: false })).filter((x) => x.service === service);
  const c = list.find((x) => x.number === index);
  if (!c) throw new StatusError(1, list.length ? `service "${service}" is not running container #${index}` : `no container found for service "${service}"`);
  return c;
}
export { serviceContainer };

export async function port(cli: ComposeCli, argv: string[]): Promise<number> {
  const c = newCommand(cli.ctx, {
    name: 'port',
    usage: '[OPTIONS] SERVICE PRIVATE_PORT',
    description: 'Print the public port for a port binding',
    exactArgs: 2,
  })
    .option('--index <int>', 'Index of the container if service has multiple replicas', toInt, 1)
    .option('--protocol <string>', 'tcp or udp', 'tcp');
  const p = parse<{ index: number; protocol: string }>(cli.ctx, c, argv);
  if (!p) return 0;
  const [service, priv] = p.args as [string, string];
  const ct = await serviceContainer(cli, service, p.opts.index);
  const info = await cli.api.containerInspect(ct.id);
  const bindings = info.NetworkSettings?.Ports?.[`${priv}/${p.opts.protocol}`];
  if (!bindings?.length)
    throw new StatusError(1, `no port ${priv}/${p.opts.protocol} for container ${ct.name}: ${JSON.stringify(info.NetworkSettings?.Ports ?? {})}`);
  cli.ctx.out(`${bindings[0]!.HostIp || '0.0.0.0'}:${bindings[0]!.HostPort}\n`);
  return 0;
}

export async function top(cli: ComposeCli, argv: string[]): Promise<number> {
  const c = newCommand(cli.ctx, { name: 'top', usage: '[SERVICES...]', description: 'Display the running processes' });
  const p = parse<object>(cli.ctx, c, argv);
  if (!p) return 0;
  const name = await cli.projectName();
  const list = (await observeContainers(cli.api, name, { oneoff: false })).filter(
    (x) => x.state === 'running' && (!p.args.length || p.args.includes(x.service)),
  );
  for (const x of list.sort((a, b) => a.name.localeCompare(b.name))) {
    const t = await cli.api.containerTop(x.id);
    cli.ctx.out(`${x.name}\n${tabwrite([t.Titles, ...t.Processes].map((r) => `${r.join('\t')}\n`).join(''))}\n`);
  }
  return 0;
}

export async function version(cli: ComposeCli, argv: string[]): Promise<number> {
  const c = newCommand(cli.ctx, { name: 'version', usage: '[OPTIONS]', description: 'Show the Docker Compose version information', maxArgs: 0 })
    .option('-f, --format <string>', 'Format the output. Values: [pretty | json]', 'pretty')
    .option('--short', "Shows only Compose's version number");
  const p = parse<{ format: string; short?: boolean }>(cli.ctx, c, argv);
  if (!p) return 0;
  if (p.opts.short) cli.ctx.out(`${COMPOSE_VERSION}\n`);
  else if (p.opts.format === 'json') cli.ctx.out(`${JSON.stringify({ version: `v${COMPOSE_VERSION}` })}\n`);
  else cli.ctx.out(`Berth Compose version v${COMPOSE_VERSION}\n`);
  return 0;
}
