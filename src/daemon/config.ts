// berthd's command line, with dockerd's flag names.
import { parseArgs } from 'node:util';
import { invalidArgument } from '../lib/errors.js';
import { formatCidr, formatIp, parseAddressPool, parseCidr, parseIp, type AddressPool } from '../network/subnet.js';
import { isLoopback } from '../dashboard-server/listen-address.js';
import { logRotationOf, type LogConfig } from '../container/logs/log-options.js';
import { configFileArgs, DEFAULT_CONFIG_FILE } from './config-file.js';
import { daemonTls, splitGoBools, type DaemonTls } from './tls-config.js';

export interface DaemonConfig {
  dataRoot: string;
  /** The unix socket (-H unix://...; the default when no -H is given); absent when only TCP was asked for. */
  socketPath?: string;
  /** TCP listeners (-H tcp://ADDR:PORT): with TLS when `tls` is set; plain only on loopback or with an explicit --tls=false. */
  tcpListeners: { host: string; port: number }[];
  /** --tls / --tlsverify: the TCP listeners speak TLS (and with `verifyClients`, demand a certificate signed by `caFile`). */
  tls?: DaemonTls;
  runtime: 'crun' | 'runc';
  debug: boolean;
  cgroupParent: string;
  /** The default bridge network's device and gateway/subnet (dockerd's --bridge and --bip). */
  bridge?: string;
  bip?: string; // the subnet
  bipGateway?: string; // the bridge's own address when --bip gave one (dockerd's 10.1.0.1/24 form)
  /** dockerd's --dns: nameservers for containers (instead of the host's) and for the embedded DNS to forward to. */
  dns: string[];
  /** dockerd's --insecure-registry: registries reachable over plain http / unverified TLS (loopback always is). */
  insecureRegistries: string[];
  /** Contact only registries on loopback (tests never send traffic off the host). */
  registryLoopbackOnly: boolean;
  /** dockerd's --default-address-pool base=CIDR,size=N (repeatable): where networks without a subnet get one. */
  addressPools: AddressPool[];
  /** --no-new-privileges: every container (and RUN step) gets no_new_privs unless its SecurityOpt says no-new-privileges=false. */
  noNewPrivileges: boolean;
  /** --userns-remap default|USER[:GROUP]: containers' root is an unprivileged host range (see userns-remap.ts). */
  usernsRemap?: string;
  /** -G/--group: the group that may use the API socket (default "berth" when it exists). */
  group?: string;
  /** --dashboard HOST:PORT: serve the web dashboard there (loopback, or any address with TLS). */
  dashboard?: string;
  /** --dashboard-tls-cert / --dashboard-tls-key: PEM files; the dashboard then speaks HTTPS. */
  dashboardTlsCert?: string;
  dashboardTlsKey?: string;
  /** --log-driver/--log-opt (daemon.json's log-driver/log-opts): what a container without its own LogConfig gets. */
  logConfig: LogConfig;
}

const OPTIONS = {
  'config-file': { type: 'string' },
  'data-root': { type: 'string' },
  host: { type: 'string', short: 'H', multiple: true },
  runtime: { type: 'string' },
  'default-runtime': { type: 'string' },
  'cgroup-parent': { type: 'string' },
  bridge: { type: 'string', short: 'b' },
  bip: { type: 'string' },
  dns: { type: 'string', multiple: true },
  'insecure-registry': { type: 'string', multiple: true },
  'registry-loopback-only': { type: 'boolean' },
  'default-address-pool': { type: 'string', multiple: true },
  'userns-remap': { type: 'string' },
  dashboard: { type: 'string' },
  'dashboard-tls-cert': { type: 'string' },
  'dashboard-tls-key': { type: 'string' },
  group: { type: 'string', short: 'G' },
  tlscacert: { type: 'string' },
  tlscert: { type: 'string' },
  tlskey: { type: 'string' },
  'log-driver': { type: 'string' },
  'log-opt': { type: 'string', multiple: true },
  debug: { type: 'boolean', short: 'D' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
} as const;

/** dockerd's booleans that take a value (`--tls=false`). */
const GO_BOOLS = ['tls', 'tlsverify', 'no-new-privileges'] as const;

/** Reads a config file: its text, or undefined when it does not exist. */
export type ConfigFileReader = (path: string) => string | undefined;

export const DEFAULT_SOCKET = '/run/berth/berth.sock';
export const DEFAULT_DATA_ROOT = '/var/lib/berth';

/**
 * The command line and (as dockerd's --config-file) the daemon.json it names, default
 * /etc/berth/daemon.json when that exists; `readConfig` reads it (none: no file is read).
 */
export function parseDaemonArgs(argvIn: string[], readConfig?: ConfigFileReader): DaemonConfig | 'help' | 'version' {
  // dockerd's Go-style --tls=false / --tlsverify=true (parseArgs has no boolean with a value).
  const split = splitGoBools(argvIn, GO_BOOLS);
  let bools = split.bools;
  let argv = split.rest;
  const first = parseArgs({ args: argv, options: OPTIONS, strict: true, allowPositionals: false, tokens: true });
  if (first.values.help) return 'help';
  if (first.values.version) return 'version';
  if (readConfig) {
    const file = first.values['config-file'] ?? DEFAULT_CONFIG_FILE;
    const text = readConfig(file);
    if (text === undefined && first.values['config-file'] !== undefined)
      throw invalidArgument(`unable to configure the Berth daemon with file ${file}: no such file`);
    if (text !== undefined) {
      const given = new Map<string, string>();
      for (const t of first.tokens ?? [])
        if (t.kind === 'option' && t.name !== 'config-file') given.set(t.name, [given.get(t.name), t.value ?? 'true'].filter(Boolean).join(', '));
      for (const [name, v] of Object.entries(bools)) given.set(name, String(v));
      const fromFile = splitGoBools(configFileArgs(text, file, given), GO_BOOLS);
      bools = { ...bools, ...fromFile.bools };
      argv = [...argv, ...fromFile.rest];
    }
  }
  const { values } = parseArgs({ args: argv, options: OPTIONS, strict: true, allowPositionals: false });
  const hosts = values.host?.length ? values.host : [process.env.BERTH_HOST ?? `unix://${DEFAULT_SOCKET}`];
  const unix = hosts.filter((h) => h.startsWith('unix://')).map((h) => h.slice('unix://'.length));
  if (unix.length > 1) throw invalidArgument(`only one unix socket can be served: ${unix.join(', ')}`);
  const tls = daemonTls({ tls: bools.tls, tlsverify: bools.tlsverify, cacert: values.tlscacert, cert: values.tlscert, key: values.tlskey }, process.env);
  const tcpListeners = hosts.filter((h) => !h.startsWith('unix://')).map((h) => parseTcpHost(h, { tls: tls !== undefined, tlsOff: bools.tls === false }));
  if ((values['dashboard-tls-cert'] === undefined) !== (values['dashboard-tls-key'] === undefined)) {
    throw invalidArgument('--dashboard-tls-cert and --dashboard-tls-key go together');
  }
  if (values['dashboard-tls-cert'] !== undefined && values.dashboard === undefined) throw invalidArgument('--dashboard-tls-cert needs --dashboard');
  const runtime = values['default-runtime'] ?? values.runtime ?? process.env.BERTH_RUNTIME ?? 'crun';
  if (runtime !== 'crun' && runtime !== 'runc') throw invalidArgument(`unsupported runtime ${runtime} (crun or runc)`);
  return {
    dataRoot: values['data-root'] ?? DEFAULT_DATA_ROOT,
    ...(unix[0] !== undefined ? { socketPath: unix[0] } : {}),
    tcpListeners,
    ...(tls ? { tls } : {}),
    runtime,
    noNewPrivileges: bools['no-new-privileges'] ?? false,
    ...(values['userns-remap'] ? { usernsRemap: values['userns-remap'] } : {}),
    debug: values.debug ?? false,
    cgroupParent: values['cgroup-parent'] ?? '/berth',
    bridge: values.bridge,
    ...(values.bip ? parseBip(values.bip) : {}),
    dns: values.dns ?? [],
    insecureRegistries: values['insecure-registry'] ?? [],
    registryLoopbackOnly: values['registry-loopback-only'] ?? false,
    addressPools: (values['default-address-pool'] ?? []).map(parseAddressPool),
    ...(values.dashboard !== undefined ? { dashboard: values.dashboard } : {}),
    ...(values['dashboard-tls-cert'] !== undefined ? { dashboardTlsCert: values['dashboard-tls-cert'], dashboardTlsKey: values['dashboard-tls-key']! } : {}),
    ...(values.group !== undefined ? { group: values.group } : {}),
    logConfig: daemonLogConfig(values['log-driver'], values['log-opt'] ?? []),
  };
}

/** --log-driver and --log-opt k=v, checked as a container's would be (dockerd refuses to start on a bad one). */
function daemonLogConfig(driver: string | undefined, opts: string[]): LogConfig {
  const config: Record<string, string> = {};
  for (const o of opts) {
    const i = o.indexOf('=');
    if (i <= 0) throw invalidArgument(`invalid --log-opt ${JSON.stringify(o)}: want KEY=VALUE`);
    config[o.slice(0, i)] = o.slice(i + 1);
  }
  const lc = { type: driver || 'json-file', config };
  logRotationOf(lc);
  return lc;
}

/**
 * tcp://ADDR:PORT (dockerd's form; port 2375 when left out, 2376 with TLS, every address when ADDR
 * is empty). Plain TCP gives anyone who reaches it root on this host: on anything but loopback it
 * is refused unless TLS is explicitly turned off with --tls=false (dockerd 27 refuses the same
 * way; older versions only warned).
 */
function parseTcpHost(h: string, o: { tls: boolean; tlsOff: boolean }): { host: string; port: number } {
  const m = /^tcp:\/\/(?:\[([^\]]+)\]|([^:/[\]]*))(?::(\d+))?\/?$/.exec(h);
  if (!m) throw invalidArgument(`invalid --host ${JSON.stringify(h)}: want unix:///path or tcp://ADDR:PORT`);
  const host = (m[1] ?? m[2] ?? '').toLowerCase() || '0.0.0.0';
  const port = m[3] === undefined ? (o.tls ? 2376 : 2375) : Number(m[3]);
  if (port > 65535) throw invalidArgument(`invalid port in --host ${h}`);
  if (!isLoopback(host) && !o.tls && !o.tlsOff)
    throw invalidArgument(
      `refusing to serve the API on ${h} without TLS: anyone who can reach it is root on this host. Use --tlsverify with --tlscacert, --tlscert and --tlskey, a loopback address (tcp://127.0.0.1:${port}), or pass --tls=false to do it anyway`,
    );
  return { host: host === 'localhost' ? '127.0.0.1' : host, port };
}

/** dockerd's --bip is the bridge's address with the prefix length: 10.1.0.1/24 (a network address alone also works). */
function parseBip(bip: string): { bip: string; bipGateway?: string } {
  const subnet = parseCidr(bip);
  const ip = parseIp(bip.split('/')[0]!)!;
  return ip === subnet.base ? { bip: formatCidr(subnet) } : { bip: formatCidr(subnet), bipGateway: formatIp(ip) };
}

export const USAGE = `Usage: berthd [OPTIONS]

A Docker-compatible container engine daemon.

Options:
      --data-root string        Root directory of persistent state (default "${DEFAULT_DATA_ROOT}")
  -H, --host list               Daemon sockets to listen on: unix:///path, tcp://127.0.0.1:2375 (default "unix://${DEFAULT_SOCKET}")
      --tls                     Use TLS on the TCP listeners; implied by --tlsverify (--tls=false: allow plain TCP off loopback)
      --tlsverify               Use TLS and require client certificates signed by --tlscacert (default from DOCKER_TLS_VERIFY)
      --tlscacert string        Trust certs signed only by this CA (default "$DOCKER_CERT_PATH/ca.pem" or "~/.docker/ca.pem")
      --tlscert string          Path to TLS certificate file (default "$DOCKER_CERT_PATH/cert.pem" or "~/.docker/cert.pem")
      --tlskey string           Path to TLS key file (default "$DOCKER_CERT_PATH/key.pem" or "~/.docker/key.pem")
      --runtime string          OCI runtime: crun or runc (default "crun")
      --cgroup-parent string    Parent cgroup for containers (default "/berth")
  -b, --bridge string           Device of the default bridge network (default "berth0")
      --dns list                DNS servers for containers and for the embedded DNS to forward to (default: the host's)
      --bip string              Address and subnet of the default bridge, e.g. 10.88.0.1/16 (default: a free Docker pool)
      --default-address-pool list  Pools networks get a subnet from, e.g. base=10.10.0.0/16,size=24 (default: Docker's)
      --insecure-registry list  Registries reachable over http or unverified https (loopback always is)
      --registry-loopback-only  Contact only registries on loopback addresses
      --no-new-privileges       Set no-new-privileges by default for new containers
      --userns-remap string     User/Group setting for user namespaces: default (user dockremap), USER[:GROUP], UID[:GID]
  -G, --group string            Group for the unix socket (default "berth"; root:root when it does not exist)
      --dashboard string        Serve the web dashboard on this address, e.g. 127.0.0.1:7070 (loopback unless TLS is given)
      --dashboard-tls-cert string  PEM certificate chain: serve the dashboard over HTTPS (needed off loopback)
      --dashboard-tls-key string   PEM private key of --dashboard-tls-cert
      --config-file string      Daemon configuration file, dockerd's daemon.json keys (default "${DEFAULT_CONFIG_FILE}")
      --log-driver string       Default driver for container logs: json-file, local or none (default "json-file")
      --log-opt map             Default log driver options, e.g. max-size=10m, max-file=3
  -D, --debug                   Enable debug output
  -v, --version                 Print version information and quit
`;
