// Docker's Linux mount parser (moby volume/mounts/linux_parser.go, by its documented behaviour):
// `-v` strings, their mode lists, `--mount` validation and the tmpfs option text. Pure code.
import { posix } from 'node:path';
import { invalidArgument } from '../lib/errors.js';
import { invalidMountConfig, invalidVolumeSpec } from '../lib/docker-messages.js';
import type { MountInput } from './mount-point.js';

export const PROPAGATIONS = new Set(['shared', 'rshared', 'slave', 'rslave', 'private', 'rprivate']);
const RW = new Set(['rw', 'ro']);
const LABEL = new Set(['z', 'Z']);
const CONSISTENCY = new Set(['consistent', 'cached', 'delegated']);
export const DEFAULT_PROPAGATION = 'rprivate';

/** At most one of each kind: rw|ro, z|Z, a propagation, nocopy, a consistency. */
export function validMode(mode: string): boolean {
  if (mode === '') return true;
  const seen = { rw: 0, label: 0, prop: 0, copy: 0, cons: 0 };
  for (const o of mode.split(',')) {
    if (RW.has(o)) seen.rw++;
    else if (LABEL.has(o)) seen.label++;
    else if (PROPAGATIONS.has(o)) seen.prop++;
    else if (o === 'nocopy') seen.copy++;
    else if (CONSISTENCY.has(o)) seen.cons++;
    else return false;
  }
  return Object.values(seen).every((n) => n <= 1);
}

const modeParts = (mode: string) => (mode ? mode.split(',') : []);
export const modeReadOnly = (mode: string) => modeParts(mode).includes('ro');
export const modePropagation = (mode: string) => modeParts(mode).find((o) => PROPAGATIONS.has(o));
export const modeNoCopy = (mode: string) => modeParts(mode).includes('nocopy');
export const invalidMode = (mode: string) => invalidArgument(`invalid mode: ${mode}`);

function validateTarget(type: string, target: string): void {
  if (!target) throw invalidMountConfig(type, 'field Target must not be empty');
  if (posix.normalize(target) === '/') throw invalidMountConfig(type, "invalid specification: destination can't be '/'");
  if (!target.startsWith('/')) throw invalidMountConfig(type, `invalid mount path: '${target}' mount path must be absolute`);
}

/**
 * Validates a `--mount` entry as Docker does before anything is created. `bindSourceExists`
 * is given only where Docker checks it (HostConfig.Mounts, not -v binds).
 */
export function validateMountInput(m: MountInput, bindSourceExists?: (path: string) => boolean): void {
  const type = m.type;
  if (type !== 'bind' && type !== 'volume' && type !== 'tmpfs') throw invalidMountConfig(String(type), 'mount type unknown');
  validateTarget(type, m.target);
  const source = m.source ?? '';
  if (type === 'bind') {
    if (!source) throw invalidMountConfig(type, 'field Source must not be empty');
    const prop = m.bindOptions?.propagation;
    if (prop && !PROPAGATIONS.has(prop)) throw invalidMountConfig(type, `invalid propagation mode: ${prop}`);
    if (m.volumeOptions) throw invalidMountConfig(type, 'field VolumeOptions must not be specified');
    if (m.tmpfsOptions) throw invalidMountConfig(type, 'field TmpfsOptions must not be specified');
    if (!source.startsWith('/')) throw invalidMountConfig(type, `invalid mount path: '${source}' mount path must be absolute`);
    if (bindSourceExists && !m.bindOptions?.createMountpoint && !bindSourceExists(source))
      throw invalidMountConfig(type, `bind source path does not exist: ${source}`);
  } else if (type === 'volume') {
    if (m.bindOptions) throw invalidMountConfig(type, 'field BindOptions must not be specified');
    if (m.tmpfsOptions) throw invalidMountConfig(type, 'field TmpfsOptions must not be specified');
    const anonymous = source === '';
    const sub = m.volumeOptions?.subpath;
    if (sub) {
      if (anonymous) throw invalidMountConfig(type, 'must not set Subpath when using anonymous volumes');
      if (sub.startsWith('/') || posix.normalize(sub).split('/')[0] === '..')
        throw invalidMountConfig(type, 'subpath must be a relative path within the volume');
    }
    if (m.readOnly && anonymous) throw invalidMountConfig(type, 'must not set ReadOnly mode when using anonymous volumes');
  } else {
    if (m.bindOptions) throw invalidMountConfig(type, 'field BindOptions must not be specified');
    if (m.volumeOptions) throw invalidMountConfig(type, 'field VolumeOptions must not be specified');
    if (source) throw invalidMountConfig(type, 'field Source must not be specified');
    tmpfsData(m);
  }
}

/** Docker's ConvertTmpfsOptions: ro, mode=<octal>, size=<n>[kmg] (largest unit that divides), extra flags. */
export function tmpfsData(m: MountInput): string {
  const out: string[] = [];
  if (m.readOnly) out.push('ro');
  const t = m.tmpfsOptions;
  if (t?.mode) out.push(`mode=${t.mode.toString(8)}`);
  if (t?.sizeBytes) {
    if (t.sizeBytes < 0) throw invalidMountConfig('tmpfs', `invalid tmpfs size: ${t.sizeBytes}`);
    let size = t.sizeBytes;
    let suffix = '';
    for (const [s, d] of [
      ['g', 2 ** 30],
      ['m', 2 ** 20],
      ['k', 2 ** 10],
    ] as const) {
      if (size % d === 0) {
        size /= d;
        suffix = s;
        break;
      }
    }
    out.push(`size=${size}${suffix}`);
  }
  for (const opt of t?.options ?? []) {
    const [k, v] = opt;
    if (!k || !['exec', 'noexec'].includes(k) || v !== undefined) throw invalidMountConfig('tmpfs', `unsupported option ${JSON.stringify(opt)}`);
    out.push(k);
  }
  return out.join(',');
}

/** A parsed `-v` string: the --mount form it means plus its mode text. */
export interface ParsedBind {
  input: MountInput;
  mode: string;
}

/** Docker's ParseMountRaw: `[src:]dst[:mode]`; an absolute src is a bind, otherwise a volume name. */
export function parseBind(raw: string, volumeDriver = ''): ParsedBind {
  if ((raw.match(/:/g) ?? []).length > 2) throw invalidVolumeSpec(raw);
  const arr = raw.split(':');
  if (arr[0] === '') throw invalidVolumeSpec(raw);
  let source = '';
  let target: string;
  let mode = '';
  if (arr.length === 1) target = arr[0]!;
  else if (arr.length === 2) {
    // "/foo:rw" is a destination with a mode, which a volume cannot have.
    if (validMode(arr[1]!)) throw invalidVolumeSpec(raw);
    [source, target] = arr as [string, string];
  } else [source, target, mode] = arr as [string, string, string];
  if (!validMode(mode)) throw invalidMode(mode);
  const input: MountInput = { type: source.startsWith('/') ? 'bind' : 'volume', source, target, readOnly: modeReadOnly(mode) };
  if (volumeDriver && input.type === 'volume') input.volumeOptions = { driverConfig: { name: volumeDriver } };
  if (modeNoCopy(mode)) input.volumeOptions = { ...input.volumeOptions, noCopy: true };
  const prop = modePropagation(mode);
  if (prop) input.bindOptions = { propagation: prop };
  try {
    validateMountInput(input);
  } catch (e) {
    throw invalidVolumeSpec(raw, (e as Error).message);
  }
  return { input, mode };
}

/** Docker's ParseVolumesFrom: `id[:mode]` where the mode may only say ro/rw (and z/Z). */
export function parseVolumesFrom(spec: string): { ref: string; readOnly: boolean } {
  if (!spec) throw invalidArgument('volumes-from specification cannot be an empty string');
  const i = spec.indexOf(':');
  const ref = i < 0 ? spec : spec.slice(0, i);
  const mode = i < 0 ? '' : spec.slice(i + 1);
  if (mode === '') return { ref, readOnly: false };
  if (!validMode(mode) || modePropagation(mode) || modeNoCopy(mode)) throw invalidMode(mode);
  return { ref, readOnly: modeReadOnly(mode) };
}

/** HostConfig.Tmpfs keys: absolute and not '/'. */
export function validateTmpfsDestination(dest: string): void {
  if (posix.normalize(dest) === '/') throw invalidArgument("invalid specification: destination can't be '/'");
  if (!dest.startsWith('/')) throw invalidArgument(`invalid mount path: '${dest}' mount path must be absolute`);
}

/**
 * Docker's MergeTmpfsOptions over its defaults (noexec,nosuid,nodev,rprivate): later flags win
 * over their opposites, the last size=/mode= wins, other data options are kept in order.
 */
export function mergeTmpfsOptions(data: string): string[] {
  const opposite: Record<string, string> = { exec: 'noexec', noexec: 'exec', suid: 'nosuid', nosuid: 'suid', dev: 'nodev', nodev: 'dev', ro: 'rw', rw: 'ro' };
  const out: string[] = [];
  for (const o of ['noexec', 'nosuid', 'nodev', DEFAULT_PROPAGATION, ...data.split(',').filter(Boolean)]) {
    const eq = o.indexOf('=');
    if (eq > 0) {
      const key = o.slice(0, eq + 1);
      const at = out.findIndex((x) => x.startsWith(key));
      if (at >= 0) out.splice(at, 1);
    } else {
      const opp = opposite[o];
      const at = opp ? out.indexOf(opp) : -1;
      if (at >= 0) out.splice(at, 1);
      if (PROPAGATIONS.has(o)) for (let j = out.length - 1; j >= 0; j--) if (PROPAGATIONS.has(out[j]!)) out.splice(j, 1);
      if (out.includes(o)) continue;
    }
    out.push(o);
  }
  return out;
}
