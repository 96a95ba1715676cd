// binfmt_misc handlers for qemu-user, in pure code: reading the handler definitions Debian's
// qemu-user-static ships (systemd's binfmt.d lines, `:name:type:offset:magic:mask:interpreter:flags`),
// reading the kernel's entries (/proc/sys/fs/binfmt_misc/<name>), and deciding per architecture
// whether an enabled entry with the F flag already serves it (ours or the system's), or what to
// register. The F (fix binary) flag makes the kernel open the emulator at registration, so it
// runs inside containers whose root filesystem has no qemu.

/** OCI architecture → qemu's name for it (qemu-<name>-static, qemu-<name>.conf). */
export const QEMU_ARCH: Readonly<Record<string, string>> = {
  arm64: 'aarch64',
  arm: 'arm',
  '386': 'i386',
  amd64: 'x86_64',
  ppc64le: 'ppc64le',
  ppc64: 'ppc64',
  s390x: 's390x',
  riscv64: 'riscv64',
  mips64le: 'mips64el',
  mips64: 'mips64',
  mipsle: 'mipsel',
  mips: 'mips',
  loong64: 'loongarch64',
};

/** The prefix of every handler Berth registers: uninstall removes only these. */
export const BERTH_PREFIX = 'berth-';

export interface HandlerDef {
  /** The OCI architecture it emulates. */
  arch: string;
  /** Name in the definition (qemu-aarch64). */
  name: string;
  offset: string;
  /** Lower-case hex, as the kernel shows it. */
  magic: string;
  mask: string;
  interpreter: string;
  flags: string;
  /** The definition's fields, still escaped as the register file takes them. */
  raw: { type: string; offset: string; magic: string; mask: string };
}

export interface KernelEntry {
  name: string;
  enabled: boolean;
  interpreter: string;
  flags: string;
  offset: string;
  magic: string;
  mask: string;
}

/** "\x7f\x45ELF" (binfmt.d escapes) → "7f454c46" (the kernel's hex). */
export function unescapeToHex(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '\\' && s[i + 1] === 'x' && /^[0-9a-fA-F]{2}$/.test(s.slice(i + 2, i + 4))) {
      out += s.slice(i + 2, i + 4).toLowerCase();
      i += 3;
    } else if (s[i] === '\\' && s[i + 1] === '\\') {
      out += '5c';
      i += 1;
    } else out += s.charCodeAt(i).toString(16).padStart(2, '0');
  }
  return out;
}

const ARCH_OF_QEMU = new Map(Object.entries(QEMU_ARCH).map(([oci, q]) => [q, oci]));

/** One binfmt.d line of a qemu handler ("qemu-<name>"), or undefined for anything else. */
export function parseHandlerLine(line: string): HandlerDef | undefined {
  const t = line.trim();
  if (!t || t.startsWith('#') || t.startsWith(';')) return undefined;
  const f = t.slice(1).split(t[0]!);
  if (f.length < 7) return undefined;
  const [name, type, offset, magic, mask, interpreter, flags] = f as [string, string, string, string, string, string, string];
  const arch = name.startsWith('qemu-') ? ARCH_OF_QEMU.get(name.slice('qemu-'.length)) : undefined;
  if (!arch || type !== 'M' || !interpreter.startsWith('/')) return undefined;
  const hexMask = mask ? unescapeToHex(mask) : '';
  return { arch, name, offset: offset || '0', magic: unescapeToHex(magic), mask: hexMask, interpreter, flags, raw: { type, offset, magic, mask } };
}

/** /proc/sys/fs/binfmt_misc/<name> → its fields. */
export function parseKernelEntry(name: string, text: string): KernelEntry {
  const line = (key: string) => new RegExp(`^${key}:? (.*)$`, 'm').exec(text)?.[1]?.trim() ?? '';
  return {
    name,
    enabled: /^enabled$/m.test(text),
    interpreter: line('interpreter'),
    flags: line('flags'),
    offset: line('offset') || '0',
    magic: line('magic').toLowerCase(),
    mask: line('mask').toLowerCase(),
  };
}

/** The kernel's mask defaults to all ones; compare what the two select. */
function sameMatch(def: HandlerDef, e: KernelEntry): boolean {
  const mask = (m: string) => m || 'f'.repeat(def.magic.length);
  return def.magic === e.magic && mask(def.mask) === mask(e.mask) && def.offset === e.offset;
}

/** Flags with F added (open the emulator now) and deduplicated. */
export function withFixBinary(flags: string): string {
  return [...new Set(`${flags}F`.toUpperCase().split(''))].filter((c) => /[POCF]/.test(c)).join('');
}

/** What `/proc/sys/fs/binfmt_misc/register` takes for `def` under Berth's name. */
export function registerLine(def: HandlerDef): string {
  const r = def.raw;
  return `:${BERTH_PREFIX}${def.name}:${r.type}:${r.offset}:${r.magic}:${r.mask}:${def.interpreter}:${withFixBinary(def.flags)}`;
}

export type HandlerState =
  | { kind: 'active'; entry: KernelEntry } // an enabled entry with F serves the arch
  | { kind: 'no-fix-binary'; entry: KernelEntry } // enabled, but the emulator is looked up inside the container
  | { kind: 'absent' };

/**
 * How `def`'s architecture is served by the kernel's entries. The kernel tries the newest entry
 * first, so an entry with F registered after one without wins; we report the best one found.
 */
export function handlerState(def: HandlerDef, entries: KernelEntry[]): HandlerState {
  const matching = entries.filter((e) => e.enabled && sameMatch(def, e));
  const fixed = matching.find((e) => e.flags.includes('F'));
  if (fixed) return { kind: 'active', entry: fixed };
  return matching[0] ? { kind: 'no-fix-binary', entry: matching[0] } : { kind: 'absent' };
}
