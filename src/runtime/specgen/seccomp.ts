// Converts a Docker/containers-common seccomp profile (defaultAction, archMap, syscalls with
// includes/excludes) into OCI linux.seccomp for one architecture and one capability set, the
// way dockerd does before handing the spec to the runtime.
import { readFile, stat } from 'node:fs/promises';
import { invalidArgument, messageOf } from '../../lib/errors.js';
import type { OciSeccomp, OciSeccompArg, OciSeccompSyscall, SeccompAction } from './oci-spec.js';

export const DEFAULT_SECCOMP_PROFILE = '/usr/share/containers/seccomp.json';

interface ProfileFilter {
  caps?: string[];
  arches?: string[];
  minKernel?: string;
}
interface ProfileSyscall {
  name?: string; // legacy single-name form
  names?: string[];
  action: SeccompAction;
  errnoRet?: number;
  args?: OciSeccompArg[] | null;
  includes?: ProfileFilter;
  excludes?: ProfileFilter;
}
export interface SeccompProfile {
  defaultAction: SeccompAction;
  defaultErrnoRet?: number;
  architectures?: string[];
  archMap?: { architecture: string; subArchitectures?: string[] }[];
  flags?: string[];
  syscalls?: ProfileSyscall[];
}

/** Node's process.arch -> Go's GOARCH, the vocabulary of the profile's includes.arches. */
const GOARCH: Record<string, string> = {
  x64: 'amd64',
  ia32: '386',
  arm64: 'arm64',
  arm: 'arm',
  s390x: 's390x',
  ppc64: 'ppc64le',
  riscv64: 'riscv64',
  mips64el: 'mips64le',
};
const NATIVE: Record<string, string> = {
  amd64: 'SCMP_ARCH_X86_64',
  '386': 'SCMP_ARCH_X86',
  arm64: 'SCMP_ARCH_AARCH64',
  arm: 'SCMP_ARCH_ARM',
  s390x: 'SCMP_ARCH_S390X',
  ppc64le: 'SCMP_ARCH_PPC64LE',
  riscv64: 'SCMP_ARCH_RISCV64',
  mips64le: 'SCMP_ARCH_MIPSEL64',
};

export function goArch(nodeArch: string = process.arch): string {
  return GOARCH[nodeArch] ?? nodeArch;
}

const cache = new Map<string, { stamp: string; profile: Promise<SeccompProfile> }>();

/** Loads and validates a profile; parsed profiles are cached per process by path, mtime, size and inode. */
export async function loadSeccompProfile(path: string = DEFAULT_SECCOMP_PROFILE): Promise<SeccompProfile> {
  let stamp: string;
  try {
    const st = await stat(path);
    stamp = `${st.mtimeMs}:${st.size}:${st.ino}`;
  } catch (e) {
    throw invalidArgument(`opening seccomp profile (${path}) failed: ${messageOf(e)}`, e);
  }
  const hit = cache.get(path);
  if (hit && hit.stamp === stamp) return hit.profile;
  const profile = readFile(path, 'utf8').then((t) => parseSeccompProfile(t));
  cache.set(path, { stamp, profile });
  profile.catch(() => cache.delete(path));
  return profile;
}

export function parseSeccompProfile(text: string): SeccompProfile {
  let p: SeccompProfile;
  try {
    p = JSON.parse(text) as SeccompProfile;
  } catch (e) {
    throw invalidArgument(`Decoding seccomp profile failed: ${messageOf(e)}`, e);
  }
  if (typeof p !== 'object' || p === null || typeof p.defaultAction !== 'string')
    throw invalidArgument('Decoding seccomp profile failed: missing defaultAction');
  if (p.architectures?.length && p.archMap?.length)
    throw invalidArgument("'architectures' and 'archMap' were specified in the seccomp profile, use either 'architectures' or 'archMap'");
  for (const s of p.syscalls ?? []) {
    if (s.name && s.names?.length) throw invalidArgument("'name' and 'names' were specified in the seccomp profile, use either 'name' or 'names'");
  }
  return p;
}

function kernelAtLeast(kernel: string, min: string): boolean {
  const a = kernel.split(/[.-]/).map((x) => parseInt(x, 10) || 0);
  const b = min.split(/[.-]/).map((x) => parseInt(x, 10) || 0);
  for (let i = 0; i < Math.max(a.length, b.length, 2); i++) {
    if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0);
  }
  return true;
}

export interface SeccompTarget {
  arch: string; // GOARCH, e.g. 'amd64'
  capabilities: readonly string[]; // the container's bounding set ('CAP_...')
  kernel: string; // os.release()
}

export function convertSeccompProfile(p: SeccompProfile, t: SeccompTarget): OciSeccomp {
  const native = NATIVE[t.arch];
  let architectures: string[] = p.architectures ?? [];
  if (p.archMap?.length) {
    const m = p.archMap.find((a) => a.architecture === native);
    architectures = m ? [m.architecture, ...(m.subArchitectures ?? [])] : [];
  }
  const syscalls: OciSeccompSyscall[] = [];
  for (const s of p.syscalls ?? []) {
    const inc = s.includes ?? {};
    const exc = s.excludes ?? {};
    if (exc.arches?.includes(t.arch)) continue;
    if (exc.caps?.some((c) => t.capabilities.includes(c))) continue;
    if (exc.minKernel && kernelAtLeast(t.kernel, exc.minKernel)) continue;
    if (inc.arches?.length && !inc.arches.includes(t.arch)) continue;
    if (inc.caps?.length && !inc.caps.every((c) => t.capabilities.includes(c))) continue;
    if (inc.minKernel && !kernelAtLeast(t.kernel, inc.minKernel)) continue;
    const names = s.names?.length ? s.names : s.name ? [s.name] : [];
    if (!names.length) continue;
    const out: OciSeccompSyscall = { names: [...names], action: s.action };
    if (s.errnoRet !== undefined) out.errnoRet = s.errnoRet;
    if (s.args?.length) out.args = s.args.map((a) => ({ index: a.index, value: a.value, valueTwo: a.valueTwo ?? 0, op: a.op }));
    syscalls.push(out);
  }
  const res: OciSeccomp = { defaultAction: p.defaultAction, architectures, syscalls };
  if (p.defaultErrnoRet !== undefined) res.defaultErrnoRet = p.defaultErrnoRet;
  if (p.flags?.length) res.flags = [...p.flags];
  return res;
}
