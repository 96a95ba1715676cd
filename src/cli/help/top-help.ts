// The root and management-command help texts, as the docker CLI 28.2.2 prints them against a
// Berth daemon (commands docker hides for this daemon are hidden here too). The program name is
// swapped in when printed; the global flag table is wrapped like every other flag table.
import { homedir } from 'node:os';
import { join } from 'node:path';
import { flagUsages, helpWidth } from './help-render.js';

const ROOT_HEAD =
  "Usage:  docker [OPTIONS] COMMAND\n\nA self-sufficient runtime for containers\n\nCommon Commands:\n  run         Create and run a new container from an image\n  exec        Execute a command in a running container\n  ps          List containers\n  build       Build an image from a Dockerfile\n  pull        Download an image from a registry\n  push        Upload an image to a registry\n  images      List images\n  login       Authenticate to a registry\n  logout      Log out from a registry\n  search      Search Docker Hub for images\n  version     Show the Docker version information\n  info        Display system-wide information\n\nManagement Commands:\n  builder     Manage builds\n  container   Manage containers\n  context     Manage contexts\n  image       Manage images\n  manifest    Manage Docker image manifests and manifest lists\n  network     Manage networks\n  plugin      Manage plugins\n  system      Manage Docker\n  trust       Manage trust on Docker images\n  volume      Manage volumes\n\nSwarm Commands:\n  swarm       Manage Swarm\n\nCommands:\n  attach      Attach local standard input, output, and error streams to a running container\n  commit      Create a new image from a container's changes\n  cp          Copy files/folders between a container and the local filesystem\n  create      Create a new container\n  diff        Inspect changes to files or directories on a container's filesystem\n  events      Get real time events from the server\n  export      Export a container's filesystem as a tar archive\n  history     Show the history of an image\n  import      Import the contents from a tarball to create a filesystem image\n  inspect     Return low-level information on Docker objects\n  kill        Kill one or more running containers\n  load        Load an image from a tar archive or STDIN\n  logs        Fetch the logs of a container\n  pause       Pause all processes within one or more containers\n  port        List port mappings or a specific mapping for the container\n  rename      Rename a container\n  restart     Restart one or more containers\n  rm          Remove one or more containers\n  rmi         Remove one or more images\n  save        Save one or more images to a tar archive (streamed to STDOUT by default)\n  start       Start one or more stopped containers\n  stats       Display a live stream of container(s) resource usage statistics\n  stop        Stop one or more running containers\n  tag         Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE\n  top         Display the running processes of a container\n  unpause     Unpause all processes within one or more containers\n  update      Update configuration of one or more containers\n  wait        Block until one or more containers stop, then print their exit codes\n\n";

export const GROUP_HELP: Record<string, string> = {
  container:
    "Usage:  docker container COMMAND\n\nManage containers\n\nCommands:\n  attach      Attach local standard input, output, and error streams to a running container\n  commit      Create a new image from a container's changes\n  cp          Copy files/folders between a container and the local filesystem\n  create      Create a new container\n  diff        Inspect changes to files or directories on a container's filesystem\n  exec        Execute a command in a running container\n  export      Export a container's filesystem as a tar archive\n  inspect     Display detailed information on one or more containers\n  kill        Kill one or more running containers\n  logs        Fetch the logs of a container\n  ls          List containers\n  pause       Pause all processes within one or more containers\n  port        List port mappings or a specific mapping for the container\n  prune       Remove all stopped containers\n  rename      Rename a container\n  restart     Restart one or more containers\n  rm          Remove one or more containers\n  run         Create and run a new container from an image\n  start       Start one or more stopped containers\n  stats       Display a live stream of container(s) resource usage statistics\n  stop        Stop one or more running containers\n  top         Display the running processes of a container\n  unpause     Unpause all processes within one or more containers\n  update      Update configuration of one or more containers\n  wait        Block until one or more containers stop, then print their exit codes\n\nRun 'docker container COMMAND --help' for more information on a command.\n",
  image:
    "Usage:  docker image COMMAND\n\nManage images\n\nCommands:\n  build       Build an image from a Dockerfile\n  history     Show the history of an image\n  import      Import the contents from a tarball to create a filesystem image\n  inspect     Display detailed information on one or more images\n  load        Load an image from a tar archive or STDIN\n  ls          List images\n  prune       Remove unused images\n  pull        Download an image from a registry\n  push        Upload an image to a registry\n  rm          Remove one or more images\n  save        Save one or more images to a tar archive (streamed to STDOUT by default)\n  tag         Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE\n\nRun 'docker image COMMAND --help' for more information on a command.\n",
  builder:
    "Usage:  docker builder COMMAND\n\nManage builds\n\nCommands:\n  build       Build an image from a Dockerfile\n  prune       Remove build cache\n\nRun 'docker builder COMMAND --help' for more information on a command.\n",
  system:
    "Usage:  docker system COMMAND\n\nManage Docker\n\nCommands:\n  df          Show docker disk usage\n  events      Get real time events from the server\n  info        Display system-wide information\n  prune       Remove unused data\n\nRun 'docker system COMMAND --help' for more information on a command.\n",
  volume:
    "Usage:  docker volume COMMAND\n\nManage volumes\n\nCommands:\n  create      Create a volume\n  inspect     Display detailed information on one or more volumes\n  ls          List volumes\n  prune       Remove unused local volumes\n  rm          Remove one or more volumes\n\nRun 'docker volume COMMAND --help' for more information on a command.\n",
  context:
    "Usage:  docker context COMMAND\n\nManage contexts\n\nCommands:\n  create      Create a context\n  export      Export a context to a tar archive FILE or a tar stream on STDOUT.\n  import      Import a context from a tar or zip file\n  inspect     Display detailed information on one or more contexts\n  ls          List contexts\n  rm          Remove one or more contexts\n  show        Print the name of the current context\n  update      Update a context\n  use         Set the current docker context\n\nRun 'docker context COMMAND --help' for more information on a command.\n",
  // docker's text; Berth has only `inspect` (no local manifest lists: create, annotate, push, rm).
  manifest:
    "Usage:  docker manifest COMMAND\n\nThe **docker manifest** command has subcommands for managing image manifests and\nmanifest lists. A manifest list allows you to use one name to refer to the same image\nbuilt for multiple architectures.\n\nTo see help for a subcommand, use:\n\n    docker manifest CMD --help\n\nFor full details on using docker manifest lists, see the registry v2 specification.\n\nCommands:\n  inspect     Display an image manifest, or manifest list\n\nRun 'docker manifest COMMAND --help' for more information on a command.\n",
  registry:
    "Usage:  docker registry COMMAND\n\nRun an OCI distribution registry (Berth's own; not a docker command)\n\nCommands:\n  gc          Remove blobs no manifest or tag references\n  serve       Serve a registry over a directory\n\nRun 'docker registry COMMAND --help' for more information on a command.\n",
  network:
    "Usage:  docker network COMMAND\n\nManage networks\n\nCommands:\n  connect     Connect a container to a network\n  create      Create a network\n  disconnect  Disconnect a container from a network\n  inspect     Display detailed information on one or more networks\n  ls          List networks\n  prune       Remove all unused networks\n  rm          Remove one or more networks\n\nRun 'docker network COMMAND --help' for more information on a command.\n",
};

/** docker's config dir: DOCKER_CONFIG, else ~/.docker (shown as the defaults of the TLS flags). */
function configDir(env: NodeJS.ProcessEnv): string {
  return env.DOCKER_CONFIG || join(env.HOME || homedir(), '.docker');
}

export function globalFlagRows(env: NodeJS.ProcessEnv): [string, string][] {
  const dir = configDir(env);
  return [
    ['--config string', `Location of client config files (default "${dir}")`],
    [
      '-c, --context string',
      'Name of the context to use to connect to the daemon (overrides DOCKER_HOST env var and default context set with "docker context use")',
    ],
    ['-D, --debug', 'Enable debug mode'],
    ['-H, --host list', 'Daemon socket to connect to'],
    ['-l, --log-level string', 'Set the logging level ("debug", "info", "warn", "error", "fatal") (default "info")'],
    ['--tls', 'Use TLS; implied by --tlsverify'],
    ['--tlscacert string', `Trust certs signed only by this CA (default "${join(dir, 'ca.pem')}")`],
    ['--tlscert string', `Path to TLS certificate file (default "${join(dir, 'cert.pem')}")`],
    ['--tlskey string', `Path to TLS key file (default "${join(dir, 'key.pem')}")`],
    ['--tlsverify', 'Use TLS and verify the remote'],
    ['-v, --version', 'Print version information and quit'],
  ];
}

const swapUsage = (prog: string, s: string) => s.replace(/^(Usage:  )docker\b/m, `$1${prog}`).replace(/Run 'docker\b/g, `Run '${prog}`);

export function rootHelp(prog: string, env: NodeJS.ProcessEnv = process.env, cols = helpWidth()): string {
  return (
    swapUsage(prog, ROOT_HEAD) +
    `Global Options:\n${flagUsages(globalFlagRows(env), cols - 1).trimEnd()}\n\n` +
    `Run '${prog} COMMAND --help' for more information on a command.\n\nFor more help on how to use Docker, head to https://docs.docker.com/go/guides/\n`
  );
}

export function groupHelp(prog: string, group: string): string {
  return swapUsage(prog, GROUP_HELP[group]!);
}
