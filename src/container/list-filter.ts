// `ps` filters with Docker's semantics: values of one key OR together, different keys AND.
import { invalidArgument } from '../lib/errors.js';
import type { ContainerRecord } from './container-record.js';

const KNOWN = new Set([
  'id',
  'name',
  'label',
  'status',
  'exited',
  'ancestor',
  'before',
  'since',
  'health',
  'isolation',
  'network',
  'publish',
  'expose',
  'volume',
  'is-task',
]);
const STATUSES = new Set(['created', 'restarting', 'running', 'removing', 'paused', 'exited', 'dead']);

function labelMatches(labels: Record<string, string>, expr: string): boolean {
  const i = expr.indexOf('=');
  if (i < 0) return expr in labels;
  return labels[expr.slice(0, i)] === expr.slice(i + 1);
}

export interface ListOptions {
  all: boolean;
  limit?: number;
  filters: Record<string, string[]>;
  /** Resolves an `ancestor` value to an image id (or undefined when unknown). */
  resolveImage?: (ref: string) => string | undefined;
  lookup?: (ref: string) => ContainerRecord | undefined;
}

export function filterContainers(recs: ContainerRecord[], o: ListOptions): ContainerRecord[] {
  const f = o.filters;
  for (const k of Object.keys(f)) if (!KNOWN.has(k)) throw invalidArgument(`invalid filter '${k}'`);
  for (const s of f.status ?? []) if (!STATUSES.has(s)) throw invalidArgument(`invalid filter 'status=${s}'`);
  let out = [...recs].filter((r) => r.phase !== 'creating').sort((a, b) => (a.created < b.created ? 1 : a.created > b.created ? -1 : 0));
  const before = f.before?.[0] ? o.lookup?.(f.before[0]) : undefined;
  const since = f.since?.[0] ? o.lookup?.(f.since[0]) : undefined;
  if (f.before?.[0] && !before) throw invalidArgument(`No such container: ${f.before[0]}`);
  if (f.since?.[0] && !since) throw invalidArgument(`No such container: ${f.since[0]}`);
  const showAll = o.all || !!f.status || !!f.exited || (o.limit !== undefined && o.limit > 0) || !!before || !!since;
  out = out.filter((r) => {
    if (!showAll && r.state.status !== 'running' && r.state.status !== 'paused' && r.state.status !== 'restarting') return false;
    if (f.id && !f.id.some((v) => r.id.startsWith(v))) return false;
    if (f.name && !f.name.some((v) => new RegExp(v.replace(/^\//, '')).test(r.name))) return false;
    if (f.label && !f.label.every((v) => labelMatches(r.config.labels, v))) return false;
    if (f.status && !f.status.includes(r.state.status)) return false;
    if (f.exited && !(r.state.status === 'exited' && f.exited.includes(String(r.state.exitCode)))) return false;
    if (f.ancestor && !f.ancestor.some((a) => r.config.image === a || o.resolveImage?.(a) === r.imageId)) return false;
    if (before && !(r.created < before.created)) return false;
    if (since && !(r.created > since.created)) return false;
    if (f.health && !f.health.includes(r.state.health?.status ?? 'none')) return false;
    return true;
  });
  if (o.limit !== undefined && o.limit > 0) out = out.slice(0, o.limit);
  return out;
}
