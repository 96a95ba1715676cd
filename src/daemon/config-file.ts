// dockerd's --config-file (daemon.json) for berthd: the same keys as dockerd's for the settings
// berthd has (plural keys for list flags: hosts, insecure-registries, default-address-pools, log-opts),
// turned into the flags they stand for so one parser checks both. As dockerd: an unknown key, or a
// key also given as a flag, is an error naming them all. Pure: the caller reads the file.
import { invalidArgument } from '../lib/errors.js';

type Kind = 'string' | 'boolean' | 'gobool' | 'strings' | 'pools' | 'opts';

/** daemon.json key → berthd flag and the JSON shape its value has. */
const KEYS: Record<string, { flag: string; kind: Kind }> = {
  'data-root': { flag: 'data-root', kind: 'string' },
  hosts: { flag: 'host', kind: 'strings' },
  'default-runtime': { flag: 'default-runtime', kind: 'string' },
  runtime: { flag: 'runtime', kind: 'string' },
  'cgroup-parent': { flag: 'cgroup-parent', kind: 'string' },
  bridge: { flag: 'bridge', kind: 'string' },
  bip: { flag: 'bip', kind: 'string' },
  dns: { flag: 'dns', kind: 'strings' },
  'insecure-registries': { flag: 'insecure-registry', kind: 'strings' },
  'registry-loopback-only': { flag: 'registry-loopback-only', kind: 'boolean' },
  'default-address-pools': { flag: 'default-address-pool', kind: 'pools' },
  group: { flag: 'group', kind: 'string' },
  debug: { flag: 'debug', kind: 'boolean' },
  'log-driver': { flag: 'log-driver', kind: 'string' },
  'log-opts': { flag: 'log-opt', kind: 'opts' },
  tls: { flag: 'tls', kind: 'gobool' },
  tlsverify: { flag: 'tlsverify', kind: 'gobool' },
  tlscacert: { flag: 'tlscacert', kind: 'string' },
  tlscert: { flag: 'tlscert', kind: 'string' },
  tlskey: { flag: 'tlskey', kind: 'string' },
  'no-new-privileges': { flag: 'no-new-privileges', kind: 'gobool' },
  'userns-remap': { flag: 'userns-remap', kind: 'string' },
  dashboard: { flag: 'dashboard', kind: 'string' },
  'dashboard-tls-cert': { flag: 'dashboard-tls-cert', kind: 'string' },
  'dashboard-tls-key': { flag: 'dashboard-tls-key', kind: 'string' },
};

export const DEFAULT_CONFIG_FILE = '/etc/berth/daemon.json';

/**
 * The flags daemon.json stands for, as argv to append to the command line. `given` maps each
 * long flag name given on the command line to its value(s) as typed (for the conflict message).
 */
export function configFileArgs(text: string, file: string, given: ReadonlyMap<string, string>): string[] {
  const fail = (msg: string) => invalidArgument(`unable to configure the Berth daemon with file ${file}: ${msg}`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw fail((e as Error).message);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw fail('the file must hold a JSON object');
  const entries = Object.entries(json);
  const unknown = entries.map(([k]) => k).filter((k) => !(k in KEYS));
  if (unknown.length) throw fail(`the following directives don't match any configuration option: ${unknown.join(', ')}`);
  const both = entries
    .filter(([k]) => given.has(KEYS[k]!.flag))
    .map(([k, v]) => `${k}: (from flag: ${given.get(KEYS[k]!.flag)}, from file: ${typeof v === 'string' ? v : JSON.stringify(v)})`);
  if (both.length) throw fail(`the following directives are specified both as a flag and in the configuration file: ${both.join(', ')}`);
  const args: string[] = [];
  for (const [k, v] of entries) {
    const { flag, kind } = KEYS[k]!;
    const bad = (want: string) => fail(`invalid value for "${k}": want ${want}, got ${JSON.stringify(v)}`);
    switch (kind) {
      case 'string':
        if (typeof v !== 'string') throw bad('a string');
        args.push(`--${flag}=${v}`);
        break;
      case 'boolean':
        if (typeof v !== 'boolean') throw bad('true or false');
        if (v) args.push(`--${flag}`);
        break;
      case 'gobool': // --tls=false means something, unlike an absent --tls
        if (typeof v !== 'boolean') throw bad('true or false');
        args.push(`--${flag}=${v}`);
        break;
      case 'strings':
        if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw bad('an array of strings');
        for (const x of v) args.push(`--${flag}=${x}`);
        break;
      case 'opts':
        if (typeof v !== 'object' || v === null || Array.isArray(v) || !Object.values(v).every((x) => typeof x === 'string')) throw bad('an object of strings');
        for (const [ok, ov] of Object.entries(v as Record<string, string>)) args.push(`--${flag}=${ok}=${ov}`);
        break;
      case 'pools':
        if (!Array.isArray(v)) throw bad('an array of {"base": CIDR, "size": N}');
        for (const p of v) {
          if (typeof p !== 'object' || p === null || typeof p.base !== 'string' || typeof p.size !== 'number')
            throw bad('an array of {"base": CIDR, "size": N}');
          args.push(`--${flag}=base=${p.base},size=${p.size}`);
        }
        break;
    }
  }
  return args;
}
