// POST /system/check?repair=1&full=1: Berth's store check (Podman's `system check`; Docker has
// none). The check itself is the system domain's (system/store-check.ts); this maps its report.
import { sendJson } from '../../lib/http/route.js';
import type { Route } from '../server/route.js';
import type { CheckReport } from '../../system/store-check.js';
import type * as Wire from '../types/index.js';

export interface StoreCheckBackend {
  check(opts: { repair: boolean; full: boolean }): Promise<CheckReport>;
}

export function systemCheckWire(r: CheckReport): Wire.SystemCheck {
  return {
    Checked: { Blobs: r.checked.blobs, Layers: r.checked.layers, Images: r.checked.images, Containers: r.checked.containers },
    Problems: r.problems.map((p) => ({
      Type: p.type,
      ID: p.id,
      ...(p.name ? { Name: p.name } : {}),
      Problem: p.problem,
      Action: p.action,
      ...(p.leftBecause ? { LeftBecause: p.leftBecause } : {}),
    })),
    Repaired: r.repaired,
    ...(r.quarantine ? { Quarantine: r.quarantine } : {}),
  };
}

export function systemCheckRoutes(b: StoreCheckBackend): Route[] {
  return [
    {
      method: 'POST',
      path: '/system/check',
      handler: async (ctx) => sendJson(ctx.res, 200, systemCheckWire(await b.check({ repair: ctx.query.bool('repair'), full: ctx.query.bool('full') }))),
    },
  ];
}
