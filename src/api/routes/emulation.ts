// /berth/binfmt: Berth's own routes (not Docker's) for `berth system binfmt`: the qemu-user
// handlers that run foreign architectures, and registering or removing Berth's. The dashboard
// listener never forwards /berth/* paths.
import { sendJson } from '../../lib/http/route.js';
import type { Route } from '../server/route.js';
import type * as Wire from '../types/index.js';

export interface EmulationBackend {
  status(): Promise<{
    mounted: boolean;
    native: string[];
    emulators: { architecture: string; interpreter: string; handler: string; flags: string; state: string; ours: boolean }[];
  }>;
  install(): Promise<string[]>;
  uninstall(): Promise<string[]>;
}

export function emulationRoutes(b: EmulationBackend): Route[] {
  const status = async (): Promise<Wire.BinfmtStatus> => {
    const s = await b.status();
    return {
      Mounted: s.mounted,
      Native: s.native,
      Emulators: s.emulators.map((e) => ({
        Architecture: e.architecture,
        Interpreter: e.interpreter,
        Handler: e.handler,
        Flags: e.flags,
        State: e.state,
        Owned: e.ours,
      })),
    };
  };
  const change =
    (fn: () => Promise<string[]>): Route['handler'] =>
    async (ctx) => {
      const changed = await fn();
      const out: Wire.BinfmtChange = { Changed: changed, Status: await status() };
      sendJson(ctx.res, 200, out);
    };
  return [
    { method: 'GET', path: '/berth/binfmt', handler: async (ctx) => sendJson(ctx.res, 200, await status()) },
    { method: 'POST', path: '/berth/binfmt/install', handler: change(() => b.install()) },
    { method: 'POST', path: '/berth/binfmt/uninstall', handler: change(() => b.uninstall()) },
  ];
}
