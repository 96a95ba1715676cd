// Foreign architectures under emulation: finds the qemu-user handlers installed on the host
// (Debian's qemu-user-static ships their definitions in /usr/lib/binfmt.d), mounts binfmt_misc
// when it is not, and registers each missing handler as `berth-qemu-<arch>` with the F flag.
// Host-wide state, so: an enabled entry with F (the system's qemu-aarch64, or ours) is reused,
// never duplicated; uninstall removes only `berth-*` entries. Decisions are in binfmt-rules.ts.
import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { errnoCode, messageOf, unavailable } from '../../lib/errors.js';
import { log } from '../../lib/log.js';
import { mountOne } from '../../lib/mount.js';
import { KeyedMutex } from '../../lib/mutex.js';
import { formatPlatform, hostPlatform } from '../../lib/platform.js';
import { BERTH_PREFIX, handlerState, parseHandlerLine, parseKernelEntry, registerLine, type HandlerDef, type KernelEntry } from './binfmt-rules.js';

export interface BinfmtOptions {
  /** Where handler definitions are read (systemd's binfmt.d directories). */
  confDirs?: string[];
  /** The binfmt_misc mount point. */
  procDir?: string;
}

export interface EmulatorStatus {
  /** OCI architecture ("arm64"). */
  architecture: string;
  /** The emulator the definition names. */
  interpreter: string;
  /** The kernel entry that serves it, '' when none does. */
  handler: string;
  flags: string;
  state: 'active' | 'no-fix-binary' | 'absent';
  /** True when the serving entry is Berth's own. */
  ours: boolean;
}

export interface BinfmtStatus {
  /** binfmt_misc is mounted (entries can be read and registered). */
  mounted: boolean;
  /** Architectures the host runs without emulation. */
  native: string[];
  emulators: EmulatorStatus[];
}

/** Architectures a CPU of `arch` runs natively (amd64 kernels run 386 binaries). */
export function nativeArchitectures(arch = hostPlatform().architecture): string[] {
  return arch === 'amd64' ? ['amd64', '386'] : [arch];
}

export class Binfmt {
  private readonly confDirs: string[];
  private readonly procDir: string;
  private readonly lock = new KeyedMutex();

  constructor(o: BinfmtOptions = {}) {
    this.confDirs = o.confDirs ?? ['/usr/lib/binfmt.d', '/etc/binfmt.d'];
    this.procDir = o.procDir ?? '/proc/sys/fs/binfmt_misc';
  }

  isNative(arch: string): boolean {
    return nativeArchitectures().includes(arch);
  }

  /** Handler definitions whose emulator exists, one per architecture, native ones left out. */
  async definitions(): Promise<HandlerDef[]> {
    const defs = new Map<string, HandlerDef>();
    for (const dir of this.confDirs) {
      const files = await readdir(dir).catch(() => [] as string[]);
      for (const f of files.filter((n) => n.startsWith('qemu-') && n.endsWith('.conf')).sort()) {
        const text = await readFile(join(dir, f), 'utf8').catch(() => '');
        for (const line of text.split('\n')) {
          const def = parseHandlerLine(line);
          if (def && !this.isNative(def.arch) && existsSync(def.interpreter)) defs.set(def.arch, def); // later dirs override, as systemd
        }
      }
    }
    return [...defs.values()].sort((a, b) => a.arch.localeCompare(b.arch));
  }

  private mounted(): boolean {
    return existsSync(join(this.procDir, 'register'));
  }

  private async entries(): Promise<KernelEntry[]> {
    if (!this.mounted()) return [];
    const names = (await readdir(this.procDir)).filter((n) => n !== 'register' && n !== 'status');
    const out: KernelEntry[] = [];
    for (const n of names) {
      const text = await readFile(join(this.procDir, n), 'utf8').catch(() => undefined); // removed meanwhile
      if (text !== undefined) out.push(parseKernelEntry(n, text));
    }
    return out;
  }

  async status(): Promise<BinfmtStatus> {
    const entries = await this.entries();
    const emulators = (await this.definitions()).map((def): EmulatorStatus => {
      const s = handlerState(def, entries);
      const entry = s.kind === 'absent' ? undefined : s.entry;
      return {
        architecture: def.arch,
        interpreter: def.interpreter,
        handler: entry?.name ?? '',
        flags: entry?.flags ?? '',
        state: s.kind,
        ours: !!entry?.name.startsWith(BERTH_PREFIX),
      };
    });
    return { mounted: this.mounted(), native: nativeArchitectures(), emulators };
  }

  private async mount(): Promise<void> {
    if (this.mounted()) return;
    try {
      mountOne({ type: 'binfmt_misc', source: 'binfmt_misc', options: [] }, this.procDir);
    } catch (e) {
      throw unavailable(`cannot mount binfmt_misc on ${this.procDir}: ${messageOf(e)}`);
    }
  }

  /**
   * Registers a handler with F for each architecture (all with an emulator when none are named)
   * that no enabled F entry serves yet. Idempotent. Returns the architectures registered now.
   */
  install(arches?: string[]): Promise<string[]> {
    return this.lock.run('binfmt', async () => {
      const defs = (await this.definitions()).filter((d) => !arches || arches.includes(d.arch));
      if (!defs.length) return [];
      await this.mount();
      const entries = await this.entries();
      const done: string[] = [];
      for (const def of defs) {
        if (handlerState(def, entries).kind === 'active') continue;
        // An old berth- entry without F (or disabled) would make the name collide: replace it.
        const stale = entries.find((e) => e.name === `${BERTH_PREFIX}${def.name}`);
        if (stale) await this.removeEntry(stale.name);
        try {
          await writeFile(join(this.procDir, 'register'), registerLine(def));
        } catch (e) {
          throw unavailable(`cannot register the binfmt_misc handler for ${def.arch} (${def.interpreter}): ${messageOf(e)}`);
        }
        log.info('registered binfmt_misc handler', { arch: def.arch, handler: `${BERTH_PREFIX}${def.name}`, interpreter: def.interpreter });
        done.push(def.arch);
      }
      return done;
    });
  }

  /** Removes Berth's own handlers (never the system's). Returns the entry names removed. */
  uninstall(): Promise<string[]> {
    return this.lock.run('binfmt', async () => {
      const ours = (await this.entries()).filter((e) => e.name.startsWith(BERTH_PREFIX));
      for (const e of ours) await this.removeEntry(e.name);
      return ours.map((e) => e.name);
    });
  }

  private async removeEntry(name: string): Promise<void> {
    await writeFile(join(this.procDir, name), '-1').catch((e) => {
      if (errnoCode(e) !== 'ENOENT') throw e;
    });
  }

  /**
   * Makes sure a process of `platform`'s architecture can run: native, already served, or a
   * handler registered now. A clear error when no emulator for it is installed.
   */
  async ensure(platform: { os: string; architecture: string; variant?: string }): Promise<void> {
    const arch = platform.architecture;
    if (this.isNative(arch)) return;
    const st = (await this.status()).emulators.find((e) => e.architecture === arch);
    if (st?.state === 'active') return;
    const host = formatPlatform(hostPlatform());
    if (!st)
      throw unavailable(
        `cannot run ${formatPlatform(platform)} on this ${host} host: no emulator for ${arch} is installed ` +
          `(install qemu-user-static, then \`berth system binfmt --install\`)`,
        { code: 'NO_EMULATOR' },
      );
    await this.install([arch]);
  }
}
