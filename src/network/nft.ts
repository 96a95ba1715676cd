// nftables commands through libnftables in this process (koffi FFI), with `nft -f -` as the
// fallback when the library cannot be loaded.
//
// Why not just exec nft: besides the exec (~3 ms), the kernel frees a transaction's deleted
// objects (rules, set elements, a flushed chain's rules) after an RCU grace period in a work
// item, and the release of the netlink socket that made the transaction waits for that work.
// So every `nft` that deletes anything blocks ~13-20 ms in its exit. One context kept through a
// burst of commands keeps its socket open: a delete or flush+refill costs ~0.2 ms and the grace
// period passes in the background (the context is freed a second after the burst, for memory). Calls run on koffi's worker thread (the event loop never waits on netlink)
// and one at a time (a context is not thread-safe).
import { createRequire } from 'node:module';
import { internal } from '../lib/errors.js';
import { pokeIdleTrim } from '../lib/idle-trim.js';
import { run } from './exec.js';

type Fn = ((...args: unknown[]) => unknown) & { async: (...args: unknown[]) => void };
interface Lib {
  run: Fn;
  out: Fn;
  err: Fn;
  /** A new context that buffers its output and errors (read back after each command). */
  open: () => unknown;
  free: Fn;
  /** The long-lived context, opened at the first command after a release. */
  ctx: unknown;
}

let lib: Lib | null | undefined;

/** The library and one context, or null when libnftables is not there (then nft is exec'd). */
function load(): Lib | null {
  if (lib !== undefined) return lib;
  try {
    const koffi = createRequire(import.meta.url)('koffi') as { load(p: string): { func(decl: string): Fn } };
    const so = koffi.load('libnftables.so.1');
    const ctxNew = so.func('void *nft_ctx_new(uint32_t flags)');
    const bufferOutput = so.func('int nft_ctx_buffer_output(void *ctx)');
    const bufferError = so.func('int nft_ctx_buffer_error(void *ctx)');
    const open = () => {
      const ctx = ctxNew(0);
      if (!ctx) throw new Error('nft_ctx_new failed');
      // Output and errors into memory buffers (read back after each command) instead of stdout/stderr.
      bufferOutput(ctx);
      bufferError(ctx);
      return ctx;
    };
    lib = {
      ctx: open(), // fails here, not at the first command, when the library cannot make one
      open,
      free: so.func('void nft_ctx_free(void *ctx)'),
      run: so.func('int nft_run_cmd_from_buffer(void *ctx, const char *buf)'),
      out: so.func('const char *nft_ctx_get_output_buffer(void *ctx)'),
      err: so.func('const char *nft_ctx_get_error_buffer(void *ctx)'),
    };
  } catch {
    lib = null;
  }
  return lib;
}

let queue: Promise<unknown> = Promise.resolve();

/** Runs an nft script (as `nft -f -` would) as one transaction; resolves with its output. */
export function nft(text: string): Promise<string> {
  const r = enqueue(() => runOne(text, false));
  scheduleRelease();
  return r;
}

/**
 * How long the long-lived context outlives its last command. Its cache holds the kernel's whole
 * ruleset (a `delete table` fills it: ~9 MiB on a host with Docker's and other daemons' tables);
 * a daemon between bursts of network changes should not keep that resident. Within a burst (a
 * start-up, containers started one after the other) the context and its socket stay.
 */
const RELEASE_MS = 1000;
let releaseTimer: NodeJS.Timeout | undefined;

function scheduleRelease(): void {
  if (releaseTimer) {
    releaseTimer.refresh();
    return;
  }
  releaseTimer = setTimeout(() => void enqueue(release), RELEASE_MS);
  releaseTimer.unref();
}

/** Frees the long-lived context on koffi's worker thread: closing its socket may wait for the kernel's grace period. */
function release(): Promise<string> {
  const l = lib;
  if (!l?.ctx) return Promise.resolve('');
  const ctx = l.ctx;
  l.ctx = undefined;
  return new Promise((resolve) => {
    l.free.async(ctx, () => {
      pokeIdleTrim();
      resolve('');
    });
  });
}

/**
 * Runs a listing (`list tables`, `list table ...`) on a context of its own, freed right after.
 * A context keeps the cache a command filled until the next command, and a listing fills it with
 * the kernel's whole ruleset (every table of every program: ~9 MiB of malloc on a host with
 * Docker's and a few daemons' tables), which the long-lived context would hold for good. A
 * listing deletes nothing, so it does not need that context's socket (see above).
 */
export function nftList(text: string): Promise<string> {
  return enqueue(() => runOne(text, true));
}

function enqueue(f: () => Promise<string>): Promise<string> {
  const next = queue.then(f);
  queue = next.catch(() => {});
  return next;
}

function runOne(text: string, ownContext: boolean): Promise<string> {
  const l = load();
  if (!l) return run('nft', ['-f', '-'], text);
  const ctx = ownContext ? l.open() : (l.ctx ??= l.open());
  return new Promise((resolve, reject) => {
    l.run.async(ctx, text, (e: Error | null, rc: number) => {
      // Read both buffers every time: reading resets them for the next command.
      const out = String(l.out(ctx) ?? '');
      const err = String(l.err(ctx) ?? '').trim();
      if (ownContext) {
        l.free(ctx);
        pokeIdleTrim(); // the freed cache is back in malloc's free lists: return it to the kernel
      }
      if (e) reject(internal(`nft: ${e.message}`, e));
      else if (rc !== 0) reject(internal(`nft failed: ${err || `status ${rc}`}`));
      else resolve(out);
    });
  });
}

/** True when commands go through the in-process library (diagnostics, tests). */
export function nftInProcess(): boolean {
  return load() !== null;
}
