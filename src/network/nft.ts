// nftables commands through libnftables in this process (koffi FFI), with `nft -f -` as the
// fallback when the library cannot be loaded.
//
// Why not just exec nft: besides the exec (~3 ms), the kernel frees a transaction's deleted
// objects (rules, set elements, a flushed chain's rules) after an RCU grace period in a work
// item, and the release of the netlink socket that made the transaction waits for that work.
// So every `nft` that deletes anything blocks ~13-20 ms in its exit. One long-lived context
// keeps its socket open: a delete or flush+refill costs ~0.2 ms and the grace period passes in
// the background. Calls run on koffi's worker thread (the event loop never waits on netlink)
// and one at a time (a context is not thread-safe).
import { createRequire } from 'node:module';
import { internal } from '../lib/errors.js';
import { run } from './exec.js';

type Fn = ((...args: unknown[]) => unknown) & { async: (...args: unknown[]) => void };
interface Lib {
  run: Fn;
  out: Fn;
  err: Fn;
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
    const ctx = ctxNew(0);
    if (!ctx) throw new Error('nft_ctx_new failed');
    // Output and errors into memory buffers (read back after each command) instead of stdout/stderr.
    so.func('int nft_ctx_buffer_output(void *ctx)')(ctx);
    so.func('int nft_ctx_buffer_error(void *ctx)')(ctx);
    lib = {
      ctx,
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
  const next = queue.then(() => runOne(text));
  queue = next.catch(() => {});
  return next;
}

function runOne(text: string): Promise<string> {
  const l = load();
  if (!l) return run('nft', ['-f', '-'], text);
  return new Promise((resolve, reject) => {
    l.run.async(l.ctx, text, (e: Error | null, rc: number) => {
      // Read both buffers every time: reading resets them for the next command.
      const out = String(l.out(l.ctx) ?? '');
      const err = String(l.err(l.ctx) ?? '').trim();
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
