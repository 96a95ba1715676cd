// Host paths of the model are absolute: relative ones mean the project directory, `~` the home.
import { isAbsolute, join, resolve } from 'node:path';
import type { NormalizeContext } from './context.js';
import { isRemoteContext } from '../load/rebase.js';

export function hostPath(ctx: NormalizeContext, p: string): string {
  if (p === '~' || p.startsWith('~/')) {
    if (!ctx.home) throw new Error(`cannot expand ${JSON.stringify(p)}: HOME is not set`);
    return join(ctx.home, p.slice(1));
  }
  return isAbsolute(p) ? p : resolve(ctx.workingDir, p);
}

export function buildContextPath(ctx: NormalizeContext, p: string): string {
  return isRemoteContext(p) ? p : hostPath(ctx, p);
}
