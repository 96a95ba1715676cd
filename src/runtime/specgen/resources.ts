// Docker's resource flags -> OCI linux.resources, with dockerd's validation and defaults
// (swap defaults to twice the memory; --cpus becomes a CFS quota over a 100ms period).
import { invalidArgument } from '../../lib/errors.js';
import type { ResourceLimits } from './spec-input.js';
import type { OciResources } from './oci-spec.js';
import type { HostFacts } from './host-facts.js';

const MIN_MEMORY = 6 * 1024 * 1024;
const CFS_PERIOD = 100000;

export function convertResources(r: ResourceLimits | undefined, host: HostFacts, warn: (m: string) => void): Omit<OciResources, 'devices'> {
  const out: Omit<OciResources, 'devices'> = {};
  if (!r) return out;
  const memory = r.memory ?? 0;
  if (memory > 0 && memory < MIN_MEMORY) throw invalidArgument('Minimum memory limit allowed is 6MB');
  const mem: NonNullable<OciResources['memory']> = {};
  if (memory > 0) mem.limit = memory;
  if (r.memoryReservation && r.memoryReservation > 0) {
    if (memory > 0 && r.memoryReservation > memory) throw invalidArgument('Minimum memory limit can not be less than memory reservation limit, see usage');
    mem.reservation = r.memoryReservation;
  }
  let swap = r.memorySwap ?? 0;
  if (swap > 0 && memory <= 0) throw invalidArgument('You should always set the Memory limit when using Memoryswap limit, see usage');
  if (swap > 0 && swap < memory) throw invalidArgument('Minimum memoryswap limit should be larger than memory limit, see usage');
  if (swap === 0 && memory > 0) swap = memory * 2;
  if (swap !== 0 && memory > 0) {
    if (host.cgroup.swap) mem.swap = swap;
    else warn('Your kernel does not support swap limit capabilities or the cgroup is not mounted. Memory limited without swap.');
  }
  if (Object.keys(mem).length) out.memory = mem;

  const cpu: NonNullable<OciResources['cpu']> = {};
  if (r.nanoCpus && r.nanoCpus > 0) {
    if (r.cpuPeriod) throw invalidArgument('Conflicting options: Nano CPUs and CPU Period cannot both be set');
    if (r.cpuQuota) throw invalidArgument('Conflicting options: Nano CPUs and CPU Quota cannot both be set');
    cpu.period = CFS_PERIOD;
    cpu.quota = Math.round((r.nanoCpus * CFS_PERIOD) / 1e9);
  } else {
    if (r.cpuPeriod && r.cpuPeriod > 0) {
      if (r.cpuPeriod < 1000 || r.cpuPeriod > 1000000)
        throw invalidArgument('CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)');
      cpu.period = r.cpuPeriod;
    }
    if (r.cpuQuota && r.cpuQuota > 0) {
      if (r.cpuQuota < 1000) throw invalidArgument('CPU cfs quota can not be less than 1ms (i.e. 1000)');
      cpu.quota = r.cpuQuota;
    }
  }
  if (r.cpuShares && r.cpuShares > 0) cpu.shares = Math.max(2, r.cpuShares);
  if (r.cpusetCpus) cpu.cpus = r.cpusetCpus;
  if (r.cpusetMems) cpu.mems = r.cpusetMems;
  if (Object.keys(cpu).length) out.cpu = cpu;

  if (r.pidsLimit && r.pidsLimit > 0) out.pids = { limit: r.pidsLimit };
  if (r.blkioWeight && r.blkioWeight > 0) {
    if (r.blkioWeight < 10 || r.blkioWeight > 1000) throw invalidArgument('Range of blkio weight is from 10 to 1000');
    if (host.cgroup.blkioWeight) out.blockIO = { weight: r.blkioWeight };
    else warn('Your kernel does not support Block I/O weight or the cgroup is not mounted. Weight discarded.');
  }
  return out;
}
