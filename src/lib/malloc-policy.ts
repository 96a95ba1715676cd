// glibc's malloc as a long-lived daemon wants it. glibc gives freed memory back to the kernel only
// from the top of an arena, and only once the top exceeds a trim threshold that grows with the
// largest block freed so far (up to 32 MiB); every thread that ever met contention also gets an
// arena of its own (up to 8 per core). In berthd that kept ~2-4 MiB resident after an import or a
// pull: the buffers the libuv pool, V8's helper threads and the layer-unpack worker freed sat in
// thread arenas whose tops malloc_trim does not shrink. A fixed threshold returns an arena's top as
// soon as it is free; two arenas are enough for a 2-core daemon whose JavaScript runs on one thread.
// The trade: a fixed trim threshold also stops glibc raising its mmap threshold (128 KiB), so every
// block of 128 KiB or more is mapped and unmapped afresh; a 100 MiB pull's CPU time showed no
// difference beyond the noise of a shared machine (bench/README.md, session 21).
import { M_ARENA_MAX, M_TRIM_THRESHOLD, mallopt } from './libc.js';
import { log } from './log.js';

const TRIM_THRESHOLD = 128 * 1024;
const ARENA_MAX = 2;

/**
 * Sets the daemon's malloc policy, before the threads it starts (libuv's pool, koffi's worker)
 * first allocate; a value set in the environment (glibc's MALLOC_ARENA_MAX, MALLOC_TRIM_THRESHOLD_,
 * read at process start) wins. A process without glibc (musl) or without koffi keeps its
 * allocator's defaults.
 */
export function limitMallocRetention(): boolean {
  try {
    const trim = process.env.MALLOC_TRIM_THRESHOLD_ !== undefined || mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD);
    const arenas = process.env.MALLOC_ARENA_MAX !== undefined || mallopt(M_ARENA_MAX, ARENA_MAX);
    return trim && arenas;
  } catch (e) {
    log.debug('mallopt unavailable', { error: e instanceof Error ? e.message : String(e) });
    return false;
  }
}
