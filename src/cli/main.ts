// berth: the CLI entry. Kept tiny so start-up stays near Node's floor: global flags are parsed
// by hand and each command's module (and commander) is imported only when that command runs.
import type { CommandFn } from './context.js';

import { VERSION } from './version.js';
export { VERSION };

type Loader = () => Promise<CommandFn>;
const L = {
  run: () => import('./commands/run.js'),
  life: () => import('./commands/lifecycle.js'),
  start: () => import('./commands/start.js'),
  ps: () => import('./commands/ps.js'),
  logs: () => import('./commands/logs.js'),
  exec: () => import('./commands/exec.js'),
  inspect: () => import('./commands/inspect.js'),
  top: () => import('./commands/top-stats.js'),
  cp: () => import('./commands/cp.js'),
  images: () => import('./commands/images.js'),
  imageIo: () => import('./commands/image-io.js'),
  system: () => import('./commands/system.js'),
  update: () => import('./commands/update-commit.js'),
};
const cmd = <K extends keyof typeof L>(k: K, name: string): Loader => async () => (await L[k]() as unknown as Record<string, CommandFn>)[name]!;

/** Top-level commands (docker's short forms). */
const TOP: Record<string, Loader> = {
  run: cmd('run', 'run'), create: cmd('run', 'create'),
  start: cmd('start', 'start'), attach: cmd('start', 'attach'),
  stop: cmd('life', 'stop'), kill: cmd('life', 'kill'), restart: cmd('life', 'restart'),
  pause: cmd('life', 'pause'), unpause: cmd('life', 'unpause'), wait: cmd('life', 'wait'),
  rm: cmd('life', 'rm'), rename: cmd('life', 'rename'), port: cmd('life', 'port'),
  ps: cmd('ps', 'ps'), logs: cmd('logs', 'logs'), exec: cmd('exec', 'exec'),
  inspect: cmd('inspect', 'inspect'), top: cmd('top', 'top'), stats: cmd('top', 'stats'),
  cp: cmd('cp', 'cp'), update: cmd('update', 'update'), commit: cmd('update', 'commit'),
  images: cmd('images', 'images'), history: cmd('images', 'history'), tag: cmd('images', 'tag'),
  rmi: cmd('images', 'rmi'), save: cmd('imageIo', 'save'), load: cmd('imageIo', 'load'),
  import: cmd('imageIo', 'importImage'), pull: cmd('imageIo', 'pull'),
  info: cmd('system', 'info'), version: cmd('system', 'version'), events: cmd('system', 'events'),
};

/** Management commands: `berth container ls`, `berth image rm`, `berth system df`. */
const GROUPS: Record<string, Record<string, Loader>> = {
  container: {
    ...pick('run create start attach stop kill restart pause unpause wait rm rename port logs exec top stats cp update commit'),
    ls: TOP.ps!, list: TOP.ps!, ps: TOP.ps!, inspect: cmd('inspect', 'containerInspect'), prune: cmd('system', 'containerPrune'),
  },
  image: {
    ...pick('history tag save load import pull'),
    ls: TOP.images!, list: TOP.images!, rm: TOP.rmi!, remove: TOP.rmi!, inspect: cmd('inspect', 'imageInspect'), prune: cmd('images', 'imagePrune'),
  },
  system: { df: cmd('system', 'df'), prune: cmd('system', 'systemPrune'), info: TOP.info!, events: TOP.events! },
};
function pick(names: string): Record<string, Loader> { return Object.fromEntries(names.split(' ').map((n) => [n, TOP[n]!])); }

const HELP = `
Usage:  berth [OPTIONS] COMMAND

A Docker-compatible container engine client

Common Commands:
  run         Create and run a new container from an image
  exec        Execute a command in a running container
  ps          List containers
  images      List images
  pull        Download an image from a registry
  info        Display system-wide information
  version     Show the Docker version information

Management Commands:
  container   Manage containers
  image       Manage images
  system      Manage Docker

Global Options:
  -H, --host string    Daemon socket to connect to (default unix:///run/berth/berth.sock)
  -v, --version        Print version information and quit
`;

export async function main(argv: string[]): Promise<number> {
  let host: string | undefined;
  let i = 0;
  for (; i < argv.length && argv[i]!.startsWith('-'); i++) {
    const a = argv[i]!;
    if (a === '-v' || a === '--version') { process.stdout.write(`berth version ${VERSION}\n`); return 0; }
    if (a === '-h' || a === '--help') { process.stdout.write(HELP); return 0; }
    if (a === '-H' || a === '--host' || a === '-l' || a === '--log-level' || a === '--config' || a === '-c' || a === '--context') {
      if (i + 1 >= argv.length) { process.stderr.write(`flag needs an argument: ${a}\n`); return 125; }
      if (a === '-H' || a === '--host') host = argv[i + 1];
      i++;
    } else if (a.startsWith('--host=')) host = a.slice(7);
    else if (a.startsWith('-H') && a.length > 2) host = a.slice(2).replace(/^=/, '');
    else if (a === '-D' || a === '--debug' || a.startsWith('--log-level=') || a.startsWith('--config=') || a.startsWith('--context=')) continue;
    else if (a === '--') { i++; break; }
    else { process.stderr.write(`unknown flag: ${a}\nSee 'berth --help'.\n`); return 125; }
  }
  let name = argv[i];
  if (name === undefined || name === 'help') { process.stdout.write(HELP); return 0; }
  let rest = argv.slice(i + 1);
  let loader = TOP[name];
  const group = GROUPS[name];
  if (group) {
    const sub = rest[0];
    if (sub === undefined || sub === '--help') { process.stdout.write(`\nUsage:  berth ${name} COMMAND\n\nCommands:\n${Object.keys(group).map((k) => `  ${k}`).join('\n')}\n`); return 0; }
    loader = group[sub];
    name = `${name} ${sub}`;
    rest = rest.slice(1);
  }
  if (!loader) {
    process.stderr.write(`berth: unknown command: berth ${name}\n\nRun 'berth --help' for more information\n`);
    return 1;
  }
  const [{ runCommand }, fn] = await Promise.all([import('./run-command.js'), loader()]);
  return runCommand(fn, name, rest, host);
}

if (process.argv[1] && /(?:^|\/)(?:berth|main)(?:\.js)?$/.test(process.argv[1]) || process.env.BERTH_CLI_MAIN === '1') {
  main(process.argv.slice(2)).then((code) => process.exit(code), (e: unknown) => {
    process.stderr.write(`${(e as Error)?.stack ?? String(e)}\n`);
    process.exit(1);
  });
}
