// Docker's default seccomp policy, made from the containers-common profile Berth reads (Podman's).
// That profile allows namespace and mount syscalls and the kernel keyring to everyone and leaves
// the rest to capabilities; Docker's default does not: `unshare`, `setns`, namespace flags of
// `clone`, the mount family and `pivot_root` need CAP_SYS_ADMIN, `clone3` answers ENOSYS without
// it (so libc falls back to `clone`, whose flags a filter can see), and `keyctl`, `add_key`,
// `request_key` are refused (the keyring is not namespaced). Pure: a profile in, a profile out.
import type { SeccompProfile } from './seccomp.js';

type ProfileSyscall = NonNullable<SeccompProfile['syscalls']>[number];

/** Allowed only with CAP_SYS_ADMIN in Docker's profile (clone and clone3 get their own rules below). */
const SYS_ADMIN_ONLY = [
  'fsconfig',
  'fsmount',
  'fsopen',
  'fspick',
  'mount',
  'mount_setattr',
  'move_mount',
  'open_tree',
  'pivot_root',
  'setns',
  'umount',
  'umount2',
  'unshare',
];
const KEYRING = ['add_key', 'keyctl', 'request_key'];
/** CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET */
const CLONE_NAMESPACE_FLAGS = 0x7e020000;
const EPERM = 1;
const ENOSYS = 38;

export function dockerDefaultSeccomp(base: SeccompProfile): SeccompProfile {
  const gated = new Set([...SYS_ADMIN_ONLY, 'clone', 'clone3', ...KEYRING]);
  // The gated names leave every rule of the base (two rules for one syscall with different
  // actions would conflict in the filter); the rules below decide them alone.
  const kept = (base.syscalls ?? []).flatMap((s): ProfileSyscall[] => {
    const names = (s.names?.length ? s.names : s.name ? [s.name] : []).filter((n) => !gated.has(n));
    if (!names.length) return [];
    const { name: _legacy, ...rest } = s;
    return [{ ...rest, names }];
  });
  const noSysAdmin = { caps: ['CAP_SYS_ADMIN'] };
  const cloneFlagsFree = (index: number) => [{ index, value: CLONE_NAMESPACE_FLAGS, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' as const }];
  return {
    ...base,
    syscalls: [
      ...kept,
      { names: [...SYS_ADMIN_ONLY, 'clone', 'clone3'], action: 'SCMP_ACT_ALLOW', includes: { caps: ['CAP_SYS_ADMIN'] } },
      { names: SYS_ADMIN_ONLY, action: 'SCMP_ACT_ERRNO', errnoRet: EPERM, excludes: noSysAdmin },
      // clone's flags are its first argument, except on s390 where they are its second.
      { names: ['clone'], action: 'SCMP_ACT_ALLOW', args: cloneFlagsFree(0), excludes: { caps: ['CAP_SYS_ADMIN'], arches: ['s390', 's390x'] } },
      { names: ['clone'], action: 'SCMP_ACT_ALLOW', args: cloneFlagsFree(1), includes: { arches: ['s390', 's390x'] }, excludes: noSysAdmin },
      { names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: ENOSYS, excludes: noSysAdmin },
      { names: KEYRING, action: 'SCMP_ACT_ERRNO', errnoRet: EPERM },
    ],
  };
}
