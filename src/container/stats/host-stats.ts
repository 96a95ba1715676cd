// Host-side numbers in a stats document: the whole machine's cpu time from /proc/stat (Docker's
// system_cpu_usage, the denominator of `docker stats`' CPU %) and the container's interface
// counters from /proc/<pid>/net/dev, which shows the netns of that process.
import { join } from 'node:path';
import { readText } from './cgroup-files.js';
import type { NetworkStats } from './stats-types.js';

const USER_HZ = 100;

export interface SystemCpu {
  systemCpuUsage: number; // ns
  onlineCpus: number;
}

/** Parses /proc/stat: user..softirq of the "cpu" line (as Docker: no steal/guest) in ns. */
export function parseProcStat(text: string): SystemCpu | undefined {
  let total: number | undefined;
  let cpus = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith('cpu')) continue;
    const f = line.trim().split(/\s+/);
    if (f[0] === 'cpu') {
      if (f.length < 8) return undefined;
      total = f.slice(1, 8).reduce((a, v) => a + Number(v), 0);
    } else cpus++;
  }
  return total === undefined ? undefined : { systemCpuUsage: (total * 1e9) / USER_HZ, onlineCpus: cpus };
}

export async function readSystemCpu(procRoot = '/proc'): Promise<SystemCpu | undefined> {
  const t = await readText(join(procRoot, 'stat'));
  return t === undefined ? undefined : parseProcStat(t);
}

/** Parses a net/dev table; the loopback interface is left out, as Docker does. */
export function parseNetDev(text: string): Record<string, NetworkStats> {
  const out: Record<string, NetworkStats> = {};
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon < 0 || line.includes('|')) continue;
    const name = line.slice(0, colon).trim();
    if (name === '' || name === 'lo') continue;
    const f = line
      .slice(colon + 1)
      .trim()
      .split(/\s+/)
      .map(Number);
    if (f.length < 16) continue;
    out[name] = {
      rx_bytes: f[0]!,
      rx_packets: f[1]!,
      rx_errors: f[2]!,
      rx_dropped: f[3]!,
      tx_bytes: f[8]!,
      tx_packets: f[9]!,
      tx_errors: f[10]!,
      tx_dropped: f[11]!,
    };
  }
  return out;
}

export async function readNetworks(pid: number, procRoot = '/proc'): Promise<Record<string, NetworkStats> | undefined> {
  if (!(pid > 0)) return undefined;
  const t = await readText(join(procRoot, String(pid), 'net', 'dev'));
  return t === undefined ? undefined : parseNetDev(t);
}
