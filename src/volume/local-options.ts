// Options of Docker's `local` driver: type/device/o describe a filesystem mounted onto the
// volume's data directory while a container uses it (e.g. type=tmpfs,device=tmpfs,o=size=64m,
// or type=none,device=/srv/x,o=bind). Without options the volume is a plain directory.
import { invalidArgument } from '../lib/errors.js';
import type { MountSpec } from '../lib/mount.js';

const VALID = new Set(['type', 'o', 'device', 'size']);
const REQUIRES: Record<string, string[]> = { device: ['type'], type: ['device'], o: ['device', 'type'] };

export function validateLocalOptions(opts: Record<string, string> | null | undefined): void {
  if (!opts) return;
  for (const k of Object.keys(opts)) if (!VALID.has(k)) throw invalidArgument(`invalid option: ${JSON.stringify(k)}`);
  if (opts.size !== undefined && opts.size !== '' && opts.size !== '0') throw invalidArgument('quota size requested but no quota support');
  for (const [k, needs] of Object.entries(REQUIRES)) {
    if (!(k in opts)) continue;
    for (const n of needs) if (!(n in opts)) throw invalidArgument(`missing required option: ${JSON.stringify(n)}`);
  }
}

/** The filesystem to mount on the data directory at use, or undefined for a plain directory. */
export function localMountSpec(opts: Record<string, string> | null | undefined): MountSpec | undefined {
  if (!opts?.type || !opts.device) return undefined;
  const o = (opts.o ?? '').split(',').filter(Boolean);
  return { type: opts.type, source: opts.device, options: o };
}
