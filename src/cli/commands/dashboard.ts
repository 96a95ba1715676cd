// berth dashboard: asks berthd (over its socket, so only someone who may drive the daemon) for
// a one-time login URL of the web dashboard and prints it.
import type { CliContext } from '../context.js';
import { newCommand, parse } from '../flags.js';

export async function dashboard(ctx: CliContext, argv: string[]): Promise<number> {
  const c = newCommand(ctx, {
    name: 'dashboard',
    usage: '[OPTIONS]',
    description: 'Print a one-time login URL for the web dashboard (berthd --dashboard)',
    maxArgs: 0,
  }).option('-q, --quiet', 'Print only the URL');
  const p = parse<{ quiet?: boolean }>(ctx, c, argv);
  if (!p) return 0;
  const r = await ctx.docker.json<{ URL: string; ExpiresInSeconds: number }>('POST', '/berth/dashboard/token');
  if (p.opts.quiet) ctx.out(`${r.URL}\n`);
  else {
    // A plain-http dashboard is on loopback; an https one may be reachable from elsewhere.
    const where = r.URL.startsWith('https:') ? 'a browser' : 'a browser on this machine';
    ctx.out(`Open this URL in ${where} (it works once, within ${Math.round(r.ExpiresInSeconds / 60)} minutes):\n\n  ${r.URL}\n`);
  }
  return 0;
}
