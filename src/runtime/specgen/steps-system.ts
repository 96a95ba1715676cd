// Steps for the container's cgroup, identity and extras: resources, hostname, sysctls, --init,
// privileged mode and annotations.
import { invalidArgument } from '../../lib/errors.js';
import { convertResources } from './resources.js';
import type { SpecStep } from './step.js';
import type { SpecInput } from './spec-input.js';

export const resourcesStep: SpecStep = {
  name: 'resources',
  apply(spec, input, ctx) {
    spec.linux.resources = { devices: spec.linux.resources.devices, ...convertResources(input.resources, ctx.host, (m) => ctx.warnings.push(m)) };
    if (input.cgroupsPath) spec.linux.cgroupsPath = input.cgroupsPath;
    else delete spec.linux.cgroupsPath;
  },
};

const utsPrivate = (i: SpecInput) => i.utsMode === undefined || i.utsMode === 'private';

export const hostnameStep: SpecStep = {
  name: 'hostname',
  apply(spec, input) {
    // Setting a hostname in the host's (or another container's) UTS namespace would change theirs.
    if (!utsPrivate(input)) return;
    if (input.hostname) spec.hostname = input.hostname;
    if (input.domainname) spec.domainname = input.domainname;
  },
};

const IPC_SYSCTLS = new Set([
  'kernel.msgmax',
  'kernel.msgmnb',
  'kernel.msgmni',
  'kernel.sem',
  'kernel.shmall',
  'kernel.shmmax',
  'kernel.shmmni',
  'kernel.shm_rmid_forced',
]);

/** Only sysctls of a namespace the container owns may be set (runc's rule). */
function checkSysctl(key: string, input: SpecInput): void {
  const ipcOwn = input.ipcMode === undefined || input.ipcMode === 'private' || input.ipcMode === 'shareable';
  if (IPC_SYSCTLS.has(key) || key.startsWith('fs.mqueue.')) {
    if (!ipcOwn) throw invalidArgument(`sysctl "${key}" not allowed with the host's or another container's IPC namespace`);
    return;
  }
  if (key.startsWith('net.')) {
    // A joined namespace is the container's own sandbox (or a container:<x> peer's); runc, and
    // Docker with it, refuse only the host's.
    if (input.netns === 'host') throw invalidArgument(`sysctl "${key}" not allowed in host network namespace`);
    return;
  }
  if (key === 'kernel.hostname' || key === 'kernel.domainname') {
    if (!utsPrivate(input)) throw invalidArgument(`sysctl "${key}" not allowed with the host's UTS namespace`);
    return;
  }
  throw invalidArgument(`sysctl "${key}" is not in a separate kernel namespace`);
}

export const sysctlsStep: SpecStep = {
  name: 'sysctls',
  apply(spec, input) {
    const entries = Object.entries(input.sysctls ?? {});
    if (!entries.length) return;
    spec.linux.sysctl = {};
    for (const [k, v] of entries) {
      checkSysctl(k, input);
      spec.linux.sysctl[k] = v;
    }
  },
};

export const INIT_PATH = '/sbin/docker-init';

export const initStep: SpecStep = {
  name: 'init',
  apply(spec, input) {
    if (!input.init) return;
    if (!input.init.hostPath.startsWith('/')) throw invalidArgument(`init path must be absolute: ${input.init.hostPath}`);
    spec.mounts.push({ destination: INIT_PATH, type: 'bind', source: input.init.hostPath, options: ['bind', 'ro'] });
    // tini and catatonit both take `--` before the child's argv.
    spec.process.args = [INIT_PATH, '--', ...spec.process.args];
  },
};

export const privilegedStep: SpecStep = {
  name: 'privileged',
  async apply(spec, input, ctx) {
    if (!input.privileged) return;
    // Capabilities (all) and seccomp (none) were already decided by their own steps.
    spec.linux.maskedPaths = [];
    spec.linux.readonlyPaths = [];
    for (const m of spec.mounts) {
      if (m.destination === '/sys' || m.destination === '/sys/fs/cgroup') {
        m.options = m.options.filter((o) => o !== 'ro');
        if (!m.options.includes('rw')) m.options.push('rw');
      }
    }
    const userDevices = new Set(spec.linux.devices.map((d) => d.path));
    const host = (await ctx.host.listHostDevices()).filter((d) => !userDevices.has(d.path));
    spec.linux.devices = [...host, ...spec.linux.devices];
    spec.linux.resources.devices = [{ allow: true, access: 'rwm' }];
  },
};

export const annotationsStep: SpecStep = {
  name: 'annotations',
  apply(spec, input) {
    if (input.annotations && Object.keys(input.annotations).length) spec.annotations = { ...input.annotations };
  },
};
