// `compose watch` decisions, pure: which rule of which service a changed host path falls under
// (the first rule, in file order, whose path contains it and whose ignore patterns do not
// match), and what a batch of changes asks for per service: files to sync to where, a restart,
// or a rebuild (which makes any sync of that service moot, as compose does).
import { relative, sep } from 'node:path';
import { PatternMatcher } from '../lib/dockerignore.js';
import type { Project, WatchAction, WatchRule } from './model.js';

export interface WatchTrigger {
  service: string;
  rule: WatchRule;
  ignore: PatternMatcher | undefined;
}

export interface SyncItem {
  hostPath: string;
  containerPath: string;
}

export interface ServiceWork {
  service: string;
  sync: SyncItem[];
  restart: boolean;
  rebuild: boolean;
  /** How many changed paths this service saw (compose prints it). */
  changes: number;
}

/** Every service's watch rules, with their ignore patterns compiled once. */
export function watchTriggers(project: Project, services: string[]): WatchTrigger[] {
  const out: WatchTrigger[] = [];
  for (const service of services) {
    for (const rule of project.services[service]?.develop?.watch ?? []) {
      // Compose always leaves out editors' swap files and .git; the rule's own ignores come on top.
      const ignore = new PatternMatcher(['.git', '**/*.swp', '**/*~', '**/.#*', ...(rule.ignore ?? [])]);
      out.push({ service, rule, ignore });
    }
  }
  return out;
}

function inside(root: string, path: string): string | undefined {
  const rel = relative(root, path);
  if (rel === '') return '';
  if (rel.startsWith('..') || rel.startsWith(sep)) return undefined;
  return rel.split(sep).join('/');
}

/** The first trigger of each service that a changed path belongs to. */
export function triggersFor(triggers: WatchTrigger[], path: string): { trigger: WatchTrigger; rel: string }[] {
  const seen = new Set<string>();
  const out: { trigger: WatchTrigger; rel: string }[] = [];
  for (const t of triggers) {
    if (seen.has(t.service)) continue;
    const rel = inside(t.rule.path, path);
    if (rel === undefined) continue;
    if (rel && t.ignore?.matches(rel)) continue;
    seen.add(t.service);
    out.push({ trigger: t, rel });
  }
  return out;
}

const syncs = (a: WatchAction) => a === 'sync' || a === 'sync+restart' || a === 'sync+exec';

/** A batch of changed paths as work per service. */
export function planWatchBatch(triggers: WatchTrigger[], paths: string[]): ServiceWork[] {
  const work = new Map<string, ServiceWork>();
  for (const path of [...new Set(paths)].sort()) {
    for (const { trigger, rel } of triggersFor(triggers, path)) {
      const w = work.get(trigger.service) ?? { service: trigger.service, sync: [], restart: false, rebuild: false, changes: 0 };
      work.set(trigger.service, w);
      w.changes++;
      const a = trigger.rule.action;
      if (a === 'rebuild') w.rebuild = true;
      if (a === 'restart' || a === 'sync+restart') w.restart = true;
      if (syncs(a) && trigger.rule.target)
        w.sync.push({ hostPath: path, containerPath: rel ? `${trigger.rule.target.replace(/\/+$/, '')}/${rel}` : trigger.rule.target });
    }
  }
  for (const w of work.values())
    if (w.rebuild) {
      w.sync = [];
      w.restart = false;
    }
  return [...work.values()].sort((a, b) => a.service.localeCompare(b.service));
}
