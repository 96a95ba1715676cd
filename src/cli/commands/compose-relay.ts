// `compose` in the lean CLI bundle. bin/berth runs compose commands from the full bundle
// (dist/bundle/berth-full.cjs): compose and its YAML parser are half of the CLI's code, and no
// other command needs them, so every other command starts without reading or compiling them.
// When a compose command still reaches the lean bundle (an argument order bin/berth's quick
// look does not recognise, or the bundle run directly), the full bundle runs it.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { constants } from 'node:os';
import type { CliContext } from '../context.js';

export async function compose(ctx: CliContext, argv: string[]): Promise<number> {
  // This bundle runs with __dirname = dist/bundle, beside the full one.
  const full = typeof __dirname === 'string' ? join(__dirname, 'berth-full.cjs') : undefined;
  if (!full || !existsSync(full)) {
    ctx.err('berth compose: the full CLI bundle is missing (run npm run build)\n');
    return 1;
  }
  const r = spawnSync(process.execPath, [full, ...process.argv.slice(2)], { stdio: 'inherit', env: { ...ctx.env, BERTH_CLI_MAIN: '1' } });
  if (r.error) {
    ctx.err(`berth compose: ${r.error.message}\n`);
    return 1;
  }
  void argv; // the full bundle parses the whole command line again
  return r.status ?? 128 + (r.signal ? constants.signals[r.signal] : 0);
}
