// Compiling Docker's default seccomp profile into BPF costs crun 20-25 ms per container, the
// largest single cost of a start. crun leaves the compiled program in its state dir
// (<root>/<id>/seccomp.bpf) and accepts a precompiled one in the `run.oci.seccomp_bpf_data`
// annotation, so the first container with a profile pays and later ones reuse its program. The
// key covers the profile, the crun binary and the kernel, so a change of any recompiles.
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { release } from 'node:os';
import { ensureDir, writeFileAtomic } from '../../lib/atomic-fs.js';
import { errnoCode } from '../../lib/errors.js';

export const BPF_ANNOTATION = 'run.oci.seccomp_bpf_data';
const MAX_ENTRIES = 64;

interface SpecWithSeccomp {
  annotations?: Record<string, string>;
  linux?: { seccomp?: unknown };
}

export class SeccompBpfCache {
  private readonly memory = new Map<string, string>(); // key -> base64 program
  private binaryStamp: string | undefined;

  constructor(
    private readonly dir: string,
    private readonly runtimePath: string,
    private readonly runtimeRoot: string,
  ) {}

  private async key(spec: SpecWithSeccomp): Promise<string | undefined> {
    if (!spec.linux?.seccomp) return undefined;
    if (this.binaryStamp === undefined) {
      const st = await stat(this.runtimePath);
      this.binaryStamp = `${this.runtimePath}:${st.size}:${st.mtimeMs}`;
    }
    return createHash('sha256').update(this.binaryStamp).update(release()).update(JSON.stringify(spec.linux.seccomp)).digest('hex');
  }

  /** Adds the precompiled program to the spec when one is known. Returns the cache key. */
  async apply(spec: SpecWithSeccomp): Promise<string | undefined> {
    const key = await this.key(spec);
    if (!key) return undefined;
    let bpf = this.memory.get(key);
    if (bpf === undefined) {
      try {
        bpf = (await readFile(join(this.dir, `${key}.bpf`))).toString('base64');
        this.remember(key, bpf);
      } catch (e) {
        if (errnoCode(e) !== 'ENOENT') throw e;
        return key;
      }
    }
    spec.annotations = { ...spec.annotations, [BPF_ANNOTATION]: bpf };
    return key;
  }

  /** After a create that compiled the profile, keeps crun's program for the next ones. */
  async learn(key: string | undefined, containerId: string): Promise<void> {
    if (!key || this.memory.has(key)) return;
    try {
      const bpf = await readFile(join(this.runtimeRoot, containerId, 'seccomp.bpf'));
      if (bpf.length === 0 || bpf.length % 8 !== 0) return; // not a sock_filter array
      await ensureDir(this.dir);
      await writeFileAtomic(join(this.dir, `${key}.bpf`), bpf, 0o600);
      this.remember(key, bpf.toString('base64'));
    } catch (e) {
      if (errnoCode(e) !== 'ENOENT') throw e;
    }
  }

  private remember(key: string, bpf: string): void {
    if (this.memory.size >= MAX_ENTRIES) this.memory.delete(this.memory.keys().next().value!);
    this.memory.set(key, bpf);
  }
}
