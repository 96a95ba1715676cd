// berth system binfmt: shows the qemu-user emulators berthd can use for foreign architectures and
// the binfmt_misc entries that serve them; --install registers the missing ones (with the F flag,
// so they work inside containers), --uninstall removes Berth's own. Both are idempotent.
import type { BinfmtChange, BinfmtStatus } from '../../api/types/index.js';
import { StatusError } from '../cli-error.js';
import type { CliContext } from '../context.js';
import { newCommand, parse } from '../flags.js';
import { tabwrite } from '../format/tabwriter.js';

function render(s: BinfmtStatus): string {
  const rows = ['PLATFORM\tSTATE\tHANDLER\tFLAGS\tEMULATOR'];
  for (const n of s.Native) rows.push(`linux/${n}\tnative\t-\t-\t-`);
  for (const e of s.Emulators)
    rows.push(`linux/${e.Architecture}\t${e.State}\t${e.Handler ? `${e.Handler}${e.Owned ? '' : ' (system)'}` : '-'}\t${e.Flags || '-'}\t${e.Interpreter}`);
  const head = s.Mounted ? '' : 'binfmt_misc is not mounted (--install mounts it)\n';
  const tail = s.Emulators.length ? '' : 'no qemu-user emulators are installed (apt-get install qemu-user-static)\n';
  return `${head}${tabwrite(`${rows.join('\n')}\n`, 0, 3)}${tail}`;
}

export async function binfmt(ctx: CliContext, argv: string[]): Promise<number> {
  const c = newCommand(ctx, {
    name: 'system binfmt',
    usage: '[OPTIONS]',
    description: 'Show or register the qemu-user emulators that run foreign architectures (binfmt_misc)',
    maxArgs: 0,
  })
    .option('--install', 'Register a handler (F flag) for every installed emulator that has none; idempotent')
    .option('--uninstall', "Remove Berth's handlers (berth-qemu-*); the system's are left alone");
  const p = parse<{ install?: boolean; uninstall?: boolean }>(ctx, c, argv);
  if (!p) return 0;
  if (p.opts.install && p.opts.uninstall) throw new StatusError(1, `${ctx.prog}: --install and --uninstall cannot be used together\n`);
  if (!p.opts.install && !p.opts.uninstall) {
    ctx.out(render(await ctx.docker.json<BinfmtStatus>('GET', '/berth/binfmt')));
    return 0;
  }
  const r = await ctx.docker.json<BinfmtChange>('POST', `/berth/binfmt/${p.opts.install ? 'install' : 'uninstall'}`);
  const verb = p.opts.install ? 'registered' : 'removed';
  ctx.err(
    r.Changed.length
      ? `${verb}: ${r.Changed.join(', ')}\n`
      : `nothing to do: ${p.opts.install ? 'every emulator has a handler' : 'no Berth handlers are registered'}\n`,
  );
  ctx.out(render(r.Status));
  return 0;
}
