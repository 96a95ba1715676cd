// `berth compose`: the project flags Compose v2 takes before its subcommand (-f, -p, --profile,
// --env-file, --project-directory), then one subcommand. Each subcommand's module is loaded
// only when it runs. The work itself lives in src/compose; this layer parses and prints.
import { StatusError, UsageError } from '../cli-error.js';
import type { CliContext } from '../context.js';
import { collect, newCommand, parse } from '../flags.js';
import type { ComposeCli, ComposeGlobals } from './compose-context.js';

type Sub = (cli: ComposeCli, argv: string[]) => Promise<number>;
const up = () => import('./compose-up.js');
const life = () => import('./compose-lifecycle.js');
const info = () => import('./compose-info.js');
const run = () => import('./compose-run.js');
const sub =
  <M>(m: () => Promise<M>, name: keyof M) =>
  async (): Promise<Sub> =>
    (await m())[name] as unknown as Sub;

const SUBCOMMANDS: Record<string, [() => Promise<Sub>, string]> = {
  up: [sub(up, 'up'), 'Create and start containers'],
  create: [sub(up, 'create'), 'Creates containers for a service'],
  build: [sub(up, 'build'), 'Build or rebuild services'],
  pull: [sub(up, 'pull'), 'Pull service images'],
  push: [sub(up, 'push'), 'Push service images'],
  down: [sub(life, 'down'), 'Stop and remove containers, networks'],
  start: [sub(life, 'start'), 'Start services'],
  stop: [sub(life, 'stop'), 'Stop services'],
  restart: [sub(life, 'restart'), 'Restart service containers'],
  kill: [sub(life, 'kill'), 'Force stop service containers'],
  pause: [sub(life, 'pause'), 'Pause services'],
  unpause: [sub(life, 'unpause'), 'Unpause services'],
  rm: [sub(life, 'rm'), 'Removes stopped service containers'],
  ps: [sub(info, 'ps'), 'List containers'],
  ls: [sub(info, 'ls'), 'List running compose projects'],
  config: [sub(info, 'config'), 'Parse, resolve and render compose file in canonical format'],
  images: [sub(info, 'images'), 'List images used by the created containers'],
  port: [sub(info, 'port'), 'Print the public port for a port binding'],
  top: [sub(info, 'top'), 'Display the running processes'],
  version: [sub(info, 'version'), 'Show the Docker Compose version information'],
  logs: [sub(run, 'logs'), 'View output from containers'],
  exec: [sub(run, 'exec'), 'Execute a command in a running container'],
  run: [sub(run, 'run'), 'Run a one-off command on a service'],
  watch: [sub(up, 'watchProject'), 'Watch build context for service and rebuild/refresh containers when files are updated'],
  events: [sub(run, 'events'), 'Receive real time events from containers'],
  cp: [sub(run, 'cp'), 'Copy files/folders between a service container and the local filesystem'],
  wait: [sub(run, 'wait'), 'Block until containers of all (or specified) services stop.'],
};

function usage(prog: string): string {
  const width = Math.max(...Object.keys(SUBCOMMANDS).map((k) => k.length)) + 2;
  const rows = Object.entries(SUBCOMMANDS)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, [, d]]) => `  ${k.padEnd(width)}${d}`)
    .join('\n');
  return `\nUsage:  ${prog} compose [OPTIONS] COMMAND\n\nDefine and run multi-container applications with Berth\n\nOptions:\n      --ansi string                Control when to print ANSI control characters ("never"|"always"|"auto") (default "auto")\n      --env-file stringArray       Specify an alternate environment file\n  -f, --file stringArray           Compose configuration files\n      --profile stringArray        Specify a profile to enable\n      --progress string            Set type of progress output (auto, tty, plain, json, quiet) (default "auto")\n      --project-directory string   Specify an alternate working directory\n                                   (default: the path of the, first specified, Compose file)\n  -p, --project-name string        Project name\n\nCommands:\n${rows}\n\nRun '${prog} compose COMMAND --help' for more information on a command.\n`;
}

export async function compose(ctx: CliContext, argv: string[]): Promise<number> {
  const c = newCommand(ctx, {
    name: 'compose',
    usage: '[OPTIONS] COMMAND',
    description: 'Define and run multi-container applications with Berth',
    stopAtPositional: true,
  })
    .option('-f, --file <stringArray>', 'Compose configuration files', collect, [])
    .option('-p, --project-name <string>', 'Project name')
    .option('--profile <stringArray>', 'Specify a profile to enable', collect, [])
    .option('--env-file <stringArray>', 'Specify an alternate environment file', collect, [])
    .option('--project-directory <string>', 'Specify an alternate working directory')
    .option('--ansi <string>', 'Control when to print ANSI control characters', 'auto')
    .option('--progress <string>', 'Set type of progress output (auto, tty, plain, json, quiet)', 'auto')
    .option('--parallel <int>', 'Control max parallelism, -1 for unlimited')
    .option('--compatibility', 'Run compose in backward compatibility mode')
    .option('--dry-run', 'Execute command in dry run mode')
    .option('--all-resources', 'Include all resources, even those not used by services');
  const helpRequested = argv.length === 0 || argv[0] === '--help' || argv[0] === '-h';
  if (helpRequested) {
    ctx.out(usage(ctx.prog));
    return 0;
  }
  const p = parse<ComposeGlobals>(ctx, c, argv);
  if (!p) return 0;
  const [name, ...rest] = p.args;
  if (!name) {
    ctx.out(usage(ctx.prog));
    return 0;
  }
  const entry = SUBCOMMANDS[name];
  if (!entry) throw new UsageError(`unknown docker command: "compose ${name}"\n\nRun '${ctx.prog} compose --help' for more information`, 1);
  if (p.opts.ansi && !['auto', 'never', 'always'].includes(p.opts.ansi)) throw new StatusError(1, `invalid --ansi value ${JSON.stringify(p.opts.ansi)}`);
  const [{ ComposeCli }, fn] = await Promise.all([import('./compose-context.js'), entry[0]()]);
  ctx.commandPath = `compose ${name}`;
  const cli = new ComposeCli(ctx, p.opts);
  try {
    return await fn(cli, rest);
  } finally {
    cli.close();
  }
}
