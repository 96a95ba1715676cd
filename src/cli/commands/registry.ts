// `berth registry serve|gc`: runs the registry server's own bundle (dist/bundle/berth-registry.js)
// as a child process with the same arguments. The CLI never imports server code (the import
// lint forbids it, and berth's bundle stays small and fast to start); a registry is a long-lived
// process, so the one extra Node start (~50 ms) costs nothing that matters.
import { spawn } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { CommandFn } from '../context.js';

function bundlePath(env: NodeJS.ProcessEnv): string | undefined {
  const candidates = [
    env.BERTH_REGISTRY_BUNDLE,
    // The CLI bundle (dist/bundle/berth.cjs) runs with __dirname = dist/bundle.
    typeof __dirname === 'string' ? join(__dirname, 'berth-registry.js') : undefined,
    process.argv[1] ? join(dirname(realpathSync(process.argv[1])), '../dist/bundle/berth-registry.js') : undefined,
  ];
  return candidates.find((p): p is string => p !== undefined && existsSync(p));
}

const run =
  (sub: string): CommandFn =>
  async (ctx, argv) => {
    const bundle = bundlePath(ctx.env);
    if (!bundle) {
      ctx.err('berth registry: the registry bundle is missing (run npm run build)\n');
      return 1;
    }
    const child = spawn(process.execPath, [bundle, sub, ...argv], { stdio: 'inherit', env: ctx.env });
    const forward = (sig: NodeJS.Signals) => () => child.kill(sig);
    const onInt = forward('SIGINT');
    const onTerm = forward('SIGTERM');
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
    try {
      return await new Promise<number>((resolve, reject) => {
        child.once('error', reject);
        child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 + 15 : 1)));
      });
    } finally {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
    }
  };

export const registryServe = run('serve');
export const registryGc = run('gc');
