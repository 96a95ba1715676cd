// berth: the CLI entry. Kept tiny so start-up stays near Node's floor: global flags are parsed
// by hand and each command's module (and commander) is imported only when that command runs.
import type { CommandFn } from './context.js';
import type { ClientTlsFlags } from '../api/client/tls.js';

import { VERSION } from './version.js';
import { writeErr, writeOut } from './process-io.js';
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
  volume: () => import('./commands/volume.js'),
  network: () => import('./commands/network.js'),
  build: () => import('./commands/build.js'),
  compose: () => import('./commands/compose.js'),
  dashboard: () => import('./commands/dashboard.js'),
  binfmt: () => import('./commands/binfmt.js'),
  registry: () => import('./commands/registry.js'),
  login: () => import('./commands/login.js'),
  manifest: () => import('./commands/manifest.js'),
  fs: () => import('./commands/diff-export.js'),
  search: () => import('./commands/search.js'),
  context: () => import('./commands/context.js'),
};
const cmd =
  <K extends keyof typeof L>(k: K, name: string): Loader =>
  async () =>
    ((await L[k]()) as unknown as Record<string, CommandFn>)[name]!;

/** Top-level commands (docker's short forms). */
const TOP: Record<string, Loader> = {
  run: cmd('run', 'run'),
  create: cmd('run', 'create'),
  start: cmd('start', 'start'),
  attach: cmd('start', 'attach'),
  stop: cmd('life', 'stop'),
  kill: cmd('life', 'kill'),
  restart: cmd('life', 'restart'),
  pause: cmd('life', 'pause'),
  unpause: cmd('life', 'unpause'),
  wait: cmd('life', 'wait'),
  rm: cmd('life', 'rm'),
  rename: cmd('life', 'rename'),
  port: cmd('life', 'port'),
  ps: cmd('ps', 'ps'),
  logs: cmd('logs', 'logs'),
  exec: cmd('exec', 'exec'),
  inspect: cmd('inspect', 'inspect'),
  top: cmd('top', 'top'),
  stats: cmd('top', 'stats'),
  cp: cmd('cp', 'cp'),
  diff: cmd('fs', 'diff'),
  export: cmd('fs', 'exportContainer'),
  update: cmd('update', 'update'),
  commit: cmd('update', 'commit'),
  images: cmd('images', 'images'),
  history: cmd('images', 'history'),
  tag: cmd('images', 'tag'),
  rmi: cmd('images', 'rmi'),
  save: cmd('imageIo', 'save'),
  load: cmd('imageIo', 'load'),
  import: cmd('imageIo', 'importImage'),
  pull: cmd('imageIo', 'pull'),
  push: cmd('imageIo', 'push'),
  search: cmd('search', 'search'),
  build: cmd('build', 'build'),
  login: cmd('login', 'login'),
  logout: cmd('login', 'logout'),
  compose: cmd('compose', 'compose'),
  dashboard: cmd('dashboard', 'dashboard'),
  info: cmd('system', 'info'),
  version: cmd('system', 'version'),
  events: cmd('system', 'events'),
};

/** Management commands: `berth container ls`, `berth image rm`, `berth system df`. */
const GROUPS: Record<string, Record<string, Loader>> = {
  container: {
    ...pick('run create start attach stop kill restart pause unpause wait rm rename port logs exec top stats cp update commit diff export'),
    ls: TOP.ps!,
    list: TOP.ps!,
    ps: TOP.ps!,
    inspect: cmd('inspect', 'containerInspect'),
    prune: cmd('system', 'containerPrune'),
  },
  image: {
    ...pick('history tag save load import pull push build'),
    ls: TOP.images!,
    list: TOP.images!,
    rm: TOP.rmi!,
    remove: TOP.rmi!,
    inspect: cmd('inspect', 'imageInspect'),
    prune: cmd('images', 'imagePrune'),
  },
  builder: { prune: cmd('build', 'builderPrune'), build: cmd('build', 'build') },
  system: {
    df: cmd('system', 'df'),
    prune: cmd('system', 'systemPrune'),
    info: TOP.info!,
    events: TOP.events!,
    check: cmd('system', 'systemCheck'),
    binfmt: cmd('binfmt', 'binfmt'),
  },
  volume: {
    create: cmd('volume', 'volumeCreate'),
    ls: cmd('volume', 'volumeLs'),
    list: cmd('volume', 'volumeLs'),
    inspect: cmd('volume', 'volumeInspect'),
    rm: cmd('volume', 'volumeRm'),
    remove: cmd('volume', 'volumeRm'),
    prune: cmd('volume', 'volumePrune'),
  },
  registry: { serve: cmd('registry', 'registryServe'), gc: cmd('registry', 'registryGc') },
  manifest: { inspect: cmd('manifest', 'manifestInspect') },
  context: {
    create: cmd('context', 'contextCreate'),
    ls: cmd('context', 'contextLs'),
    list: cmd('context', 'contextLs'),
    use: cmd('context', 'contextUse'),
    show: cmd('context', 'contextShow'),
    inspect: cmd('context', 'contextInspect'),
    rm: cmd('context', 'contextRm'),
    remove: cmd('context', 'contextRm'),
    update: cmd('context', 'contextUpdate'),
    export: cmd('context', 'contextExport'),
    import: cmd('context', 'contextImport'),
  },
  network: {
    create: cmd('network', 'networkCreate'),
    ls: cmd('network', 'networkLs'),
    list: cmd('network', 'networkLs'),
    inspect: cmd('network', 'networkInspect'),
    rm: cmd('network', 'networkRm'),
    remove: cmd('network', 'networkRm'),
    prune: cmd('network', 'networkPrune'),
    connect: cmd('network', 'networkConnect'),
    disconnect: cmd('network', 'networkDisconnect'),
  },
};
function pick(names: string): Record<string, Loader> {
  return Object.fromEntries(names.split(' ').map((n) => [n, TOP[n]!]));
}

/** The root command's flags (docker's global options); flags stop at the command name. */
const GLOBAL_BOOL = new Set(['D', 'debug', 'tls', 'tlsverify', 'v', 'version', 'help', 'h']);
const GLOBAL_VALUE = new Set(['config', 'c', 'context', 'H', 'host', 'l', 'log-level', 'tlscacert', 'tlscert', 'tlskey']);
const ROOT_USAGE = (prog: string) => `\n\nUsage:  ${prog} [OPTIONS] COMMAND [ARG...]\n\nRun '${prog} --help' for more information\n`;

interface RootFlags {
  host?: string;
  context?: string;
  tls: ClientTlsFlags;
  version?: boolean;
  help?: boolean;
  helpShort?: boolean;
  rest: string[];
}

/** pflag over the global options; returns an error text (exit 125) or the parsed flags. */
function parseRoot(argv: string[], prog: string): RootFlags | string {
  const r: RootFlags = { rest: [], tls: {} };
  const set = (name: string, v: string | undefined): string | undefined => {
    if (GLOBAL_BOOL.has(name)) {
      const b =
        v === undefined
          ? true
          : ['1', 't', 'T', 'TRUE', 'true', 'True'].includes(v)
            ? true
            : ['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(v)
              ? false
              : undefined;
      if (b === undefined) {
        const flag = { D: '-D, --debug', debug: '-D, --debug', v: '-v, --version', version: '-v, --version', h: '--help', help: '--help' }[name] ?? `--${name}`;
        return `invalid argument "${v}" for "${flag}" flag: strconv.ParseBool: parsing "${v}": invalid syntax`;
      }
      if (name === 'v' || name === 'version') r.version = b;
      if (name === 'tls' || name === 'tlsverify') r.tls[name] = b;
      if (name === 'help' || name === 'h') {
        r.help = b;
        if (name === 'h') r.helpShort = true;
      }
    } else if (name === 'H' || name === 'host') r.host = v;
    else if (name === 'c' || name === 'context') r.context = v;
    else if (name === 'tlscacert' || name === 'tlscert' || name === 'tlskey') r.tls[name] = v;
    return undefined;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      r.rest = argv.slice(i + 1);
      return r;
    }
    if (!a.startsWith('-') || a === '-') {
      r.rest = argv.slice(i);
      return r;
    }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = eq < 0 ? a.slice(2) : a.slice(2, eq);
      if ((!GLOBAL_BOOL.has(name) && !GLOBAL_VALUE.has(name)) || name.length === 1) return `unknown flag: --${name}`;
      let v: string | undefined = eq < 0 ? undefined : a.slice(eq + 1);
      if (v === undefined && GLOBAL_VALUE.has(name)) {
        if (i + 1 >= argv.length) return `flag needs an argument: ${a}`;
        v = argv[++i];
      }
      const e = set(name, v);
      if (e) return e;
      continue;
    }
    let s = a.slice(1);
    while (s.length) {
      const c = s[0]!;
      if (!GLOBAL_BOOL.has(c) && !GLOBAL_VALUE.has(c)) return `unknown shorthand flag: '${c}' in -${s}`;
      let v: string | undefined;
      if (s[1] === '=') {
        v = s.slice(2);
        s = '';
      } else if (GLOBAL_VALUE.has(c)) {
        if (s.length > 1) v = s.slice(1);
        else if (i + 1 < argv.length) v = argv[++i];
        else return `flag needs an argument: '${c}' in -${s}`;
        s = '';
      } else s = s.slice(1);
      const e = set(c, v);
      if (e) return e;
    }
  }
  return r;
}

export async function main(argv: string[], prog = 'berth'): Promise<number> {
  const root = parseRoot(argv, prog);
  if (typeof root === 'string') {
    writeErr(`${root}${ROOT_USAGE(prog)}`);
    return 125;
  }
  // The help texts load only when printed: a command's run never needs them.
  const rootHelp = async (p: string): Promise<string> => (await import('./help/top-help.js')).rootHelp(p);
  const groupHelp = async (p: string, g: string): Promise<string> => (await import('./help/top-help.js')).groupHelp(p, g);
  if (root.help) {
    if (root.helpShort) writeErr('Flag shorthand -h has been deprecated, use --help\n');
    writeOut(await rootHelp(prog));
    return 0;
  }
  if (root.version) {
    writeOut(`Berth version ${VERSION}, build berth\n`);
    return 0;
  }
  let [name, ...rest] = root.rest;
  if (name === undefined) {
    writeErr(await rootHelp(prog));
    return 0;
  }
  if (name === 'help') {
    if (!rest.length) {
      writeOut(await rootHelp(prog));
      return 0;
    }
    const known = GROUPS[rest[0]!] ? rest[1] === undefined || GROUPS[rest[0]!]![rest[1]] : TOP[rest[0]!];
    if (!known) {
      writeErr(`unknown help topic: ${rest.join(' ')}\n`);
      return 1;
    }
    name = rest[0]!;
    rest = [...rest.slice(1), '--help'];
  }
  let loader = TOP[name];
  const group = GROUPS[name];
  if (group) {
    const sub = rest[0];
    if (sub === undefined || sub.startsWith('-')) {
      const g = parseRoot(rest, prog);
      if (typeof g === 'string' || !g.help) {
        (sub === undefined ? writeErr : writeOut)(await groupHelp(prog, name));
        return 0;
      }
      writeOut(await groupHelp(prog, name));
      return 0;
    }
    loader = group[sub];
    if (!loader) {
      // docker's volume group is declared as "volume COMMAND", the others by name alone
      writeErr(
        `${prog}: unknown command: ${prog} ${name} ${sub}\n\nUsage:  ${prog} ${name}${name === 'volume' ? ' COMMAND' : ''}\n\nRun '${prog} ${name} --help' for more information\n`,
      );
      return 1;
    }
    name = `${name} ${sub}`;
    rest = rest.slice(1);
  }
  if (!loader) {
    writeErr(`${prog}: unknown command: ${prog} ${name}\n\nRun '${prog} --help' for more information\n`);
    return 1;
  }
  const [{ runCommand }, fn] = await Promise.all([import('./run-command.js'), loader()]);
  return runCommand(fn, name, rest, root.host, undefined, process.env, root.tls, root.context);
}

if ((process.argv[1] && /(?:^|\/)(?:berth|main)(?:\.js)?$/.test(process.argv[1])) || process.env.BERTH_CLI_MAIN === '1') {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      writeErr(`${(e as Error)?.stack ?? String(e)}\n`);
      process.exit(1);
    },
  );
}
