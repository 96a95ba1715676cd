// The flags of `run` and `create` (docker's names, defaults and repeatability).
import { checked, checkedList, collect, toInt, type Command } from './flags.js';
import { parseMount, parseUlimit } from '../client/flag-values.js';
import { parseGoDurationNs } from '../lib/go-duration.js';
import { ramInBytes } from '../lib/go-units.js';

const bytes = checked(ramInBytes);
const swapBytes = checked((v) => v === '-1' || ramInBytes(v));
const duration = checked(parseGoDurationNs);
const decimal = checked((v) => {
  if (!/^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(v)) throw new Error(`failed to parse ${v} as a rational number`);
});
const stream = checkedList((v) => {
  if (!['stdin', 'stdout', 'stderr'].includes(v.toLowerCase())) throw new Error('valid streams are STDIN, STDOUT and STDERR');
});

export interface ContainerFlags {
  detach?: boolean;
  interactive?: boolean;
  tty?: boolean;
  rm?: boolean;
  name?: string;
  env: string[];
  envFile: string[];
  workdir?: string;
  user?: string;
  entrypoint?: string;
  label: string[];
  labelFile: string[];
  hostname?: string;
  domainname?: string;
  restart?: string;
  stopSignal?: string;
  stopTimeout?: number;
  init?: boolean;
  privileged?: boolean;
  readOnly?: boolean;
  capAdd: string[];
  capDrop: string[];
  securityOpt: string[];
  memory?: string;
  memorySwap?: string;
  memoryReservation?: string;
  cpus?: string;
  cpuShares?: number;
  cpusetCpus?: string;
  pidsLimit?: number;
  network?: string;
  networkAlias: string[];
  publish: string[];
  publishAll?: boolean;
  expose: string[];
  volume: string[];
  mount: string[];
  tmpfs: string[];
  addHost: string[];
  ulimit: string[];
  dns: string[];
  dnsSearch: string[];
  dnsOption: string[];
  groupAdd: string[];
  device: string[];
  sysctl: string[];
  shmSize?: string;
  ipc?: string;
  pid?: string;
  uts?: string;
  userns?: string;
  cgroupns?: string;
  logDriver?: string;
  logOpt: string[];
  volumesFrom: string[];
  link: string[];
  detachKeys?: string;
  attach: string[];
  sigProxy: boolean;
  platform?: string;
  pull?: string;
  cidfile?: string;
  oomKillDisable?: boolean;
  oomScoreAdj?: number;
  cgroupParent?: string;
  runtime?: string;
  isolation?: string;
  macAddress?: string;
  ip?: string;
  quiet?: boolean;
  healthCmd?: string;
  healthInterval?: string;
  healthTimeout?: string;
  healthRetries?: number;
  healthStartPeriod?: string;
  healthcheck?: boolean;
}

export function addContainerFlags(c: Command, run: boolean): Command {
  const list = (flags: string, desc: string) => c.option(flags, desc, collect, [] as string[]);
  if (run) {
    c.option('-d, --detach', 'Run container in background and print container ID');
    c.option('--rm', 'Automatically remove the container and its associated anonymous volumes when it exits');
    c.option('--sig-proxy [bool]', 'Proxy received signals to the process', (v: string) => v !== 'false', true);
    c.option('--detach-keys <string>', 'Override the key sequence for detaching a container');
  } else c.option('--rm', 'Automatically remove the container when it exits');
  c.option('-i, --interactive', 'Keep STDIN open even if not attached')
    .option('-t, --tty', 'Allocate a pseudo-TTY')
    .option('--name <string>', 'Assign a name to the container')
    .option('-w, --workdir <string>', 'Working directory inside the container')
    .option('-u, --user <string>', 'Username or UID (format: "<name|uid>[:<group|gid>]")')
    .option('--entrypoint <string>', 'Overwrite the default ENTRYPOINT of the image')
    .option('-h, --hostname <string>', 'Container host name')
    .option('--domainname <string>', 'Container NIS domain name')
    .option('--restart <string>', 'Restart policy to apply when a container exits', 'no')
    .option('--stop-signal <string>', 'Signal to stop the container')
    .option('--stop-timeout <int>', 'Timeout (in seconds) to stop a container', toInt)
    .option('--init', 'Run an init inside the container that forwards signals and reaps processes')
    .option('--privileged', 'Give extended privileges to this container')
    .option('--read-only', "Mount the container's root filesystem as read only")
    .option('-m, --memory <bytes>', 'Memory limit', bytes)
    .option('--memory-swap <bytes>', 'Swap limit equal to memory plus swap: -1 to enable unlimited swap', swapBytes)
    .option('--memory-reservation <bytes>', 'Memory soft limit', bytes)
    .option('--cpus <decimal>', 'Number of CPUs', decimal)
    .option('-c, --cpu-shares <int>', 'CPU shares (relative weight)', toInt)
    .option('--cpuset-cpus <string>', 'CPUs in which to allow execution (0-3, 0,1)')
    .option('--pids-limit <int>', 'Tune container pids limit (set -1 for unlimited)', toInt)
    .option('--network <network>', 'Connect a container to a network')
    .option('-P, --publish-all', 'Publish all exposed ports to random ports')
    .option('--shm-size <bytes>', 'Size of /dev/shm', bytes)
    .option('--ipc <string>', 'IPC mode to use')
    .option('--pid <string>', 'PID namespace to use')
    .option('--uts <string>', 'UTS namespace to use')
    .option('--userns <string>', 'User namespace to use')
    .option('--cgroupns <string>', 'Cgroup namespace to use (host|private)')
    .option('--cgroup-parent <string>', 'Optional parent cgroup for the container')
    .option('--log-driver <string>', 'Logging driver for the container')
    .option('--platform <string>', 'Set platform if server is multi-platform capable')
    .option('--pull <string>', 'Pull image before running ("always", "missing", "never")', 'missing')
    .option('--cidfile <string>', 'Write the container ID to the file')
    .option('--oom-kill-disable', 'Disable OOM Killer')
    .option('--oom-score-adj <int>', "Tune host's OOM preferences (-1000 to 1000)", toInt)
    .option('--runtime <string>', 'Runtime to use for this container')
    .option('--isolation <string>', 'Container isolation technology')
    .option('--mac-address <string>', 'Container MAC address')
    .option('--ip <string>', 'IPv4 address')
    .option('-q, --quiet', 'Suppress the pull output')
    .option('--health-cmd <string>', 'Command to run to check health')
    .option('--health-interval <duration>', 'Time between running the check', duration)
    .option('--health-timeout <duration>', 'Maximum time to allow one check to run', duration)
    .option('--health-retries <int>', 'Consecutive failures needed to report unhealthy', toInt)
    .option('--health-start-period <duration>', 'Start period for the container to initialize', duration)
    .option('--no-healthcheck', 'Disable any container-specified HEALTHCHECK');
  list('-e, --env <list>', 'Set environment variables');
  list('--env-file <list>', 'Read in a file of environment variables');
  list('-l, --label <list>', 'Set meta data on a container');
  list('--label-file <list>', 'Read in a line delimited file of labels');
  list('--cap-add <list>', 'Add Linux capabilities');
  list('--cap-drop <list>', 'Drop Linux capabilities');
  list('--security-opt <list>', 'Security Options');
  list('--network-alias <list>', 'Add network-scoped alias for the container');
  list('-p, --publish <list>', "Publish a container's port(s) to the host");
  list('--expose <list>', 'Expose a port or a range of ports');
  list('-v, --volume <list>', 'Bind mount a volume');
  c.option('--mount <mount>', 'Attach a filesystem mount to the container', checkedList(parseMount), [] as string[]);
  list('--tmpfs <list>', 'Mount a tmpfs directory');
  list('--add-host <list>', 'Add a custom host-to-IP mapping (host:ip)');
  c.option('--ulimit <ulimit>', 'Ulimit options', checkedList(parseUlimit), [] as string[]);
  list('--dns <list>', 'Set custom DNS servers');
  list('--dns-search <list>', 'Set custom DNS search domains');
  list('--dns-option <list>', 'Set DNS options');
  list('--group-add <list>', 'Add additional groups to join');
  list('--device <list>', 'Add a host device to the container');
  list('--sysctl <map>', 'Sysctl options');
  list('--log-opt <list>', 'Log driver options');
  list('--volumes-from <list>', 'Mount volumes from the specified container(s)');
  list('--link <list>', 'Add link to another container');
  c.option('-a, --attach <list>', 'Attach to STDIN, STDOUT or STDERR', stream, [] as string[]);
  return c;
}
