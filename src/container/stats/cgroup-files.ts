// Small readers for cgroup and procfs files. A missing file (controller not mounted, cgroup
// gone, kernel without the knob) reads as undefined: stats are best effort, as in Docker.
import { readFile } from 'node:fs/promises';
import type { BlkioEntry } from './stats-types.js';

export async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** A file holding one integer; "max" (v2 for unlimited) reads as undefined. */
export async function readInt(path: string): Promise<number | undefined> {
  const t = (await readText(path))?.trim();
  if (t === undefined || t === '' || t === 'max') return undefined;
  const n = Number(t);
  return Number.isFinite(n) ? n : undefined;
}

/** "key value" lines (memory.stat, cpu.stat, cpuacct.stat). */
export function parseKeyValues(text: string | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  if (!text) return out;
  for (const line of text.split('\n')) {
    const [k, v] = line.trim().split(/\s+/);
    if (k && v !== undefined && /^\d+$/.test(v)) out[k] = Number(v);
  }
  return out;
}

/** Space-separated integers (cpuacct.usage_percpu). */
export function parseIntList(text: string | undefined): number[] | undefined {
  if (text === undefined) return undefined;
  const parts = text
    .trim()
    .split(/\s+/)
    .filter((s) => s !== '');
  return parts.length ? parts.map(Number) : undefined;
}

/** v1 blkio "MAJ:MIN Op value" lines; the closing "Total N" line is not a device entry. */
export function parseBlkioV1(text: string | undefined): BlkioEntry[] {
  const out: BlkioEntry[] = [];
  if (!text) return out;
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length !== 3) continue;
    const m = /^(\d+):(\d+)$/.exec(f[0]!);
    if (!m) continue;
    out.push({ major: +m[1]!, minor: +m[2]!, op: f[1]!, value: Number(f[2]) });
  }
  return out;
}

/** v2 io.stat "MAJ:MIN rbytes=.. wbytes=.. rios=.. wios=.." lines. */
export function parseIoStatV2(text: string | undefined): { bytes: BlkioEntry[]; ios: BlkioEntry[] } {
  const bytes: BlkioEntry[] = [];
  const ios: BlkioEntry[] = [];
  if (!text) return { bytes, ios };
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    const m = /^(\d+):(\d+)$/.exec(f[0] ?? '');
    if (!m) continue;
    const kv = Object.fromEntries(f.slice(1).map((p) => p.split('=') as [string, string]));
    const dev = { major: +m[1]!, minor: +m[2]! };
    bytes.push({ ...dev, op: 'read', value: Number(kv.rbytes ?? 0) }, { ...dev, op: 'write', value: Number(kv.wbytes ?? 0) });
    ios.push({ ...dev, op: 'read', value: Number(kv.rios ?? 0) }, { ...dev, op: 'write', value: Number(kv.wios ?? 0) });
  }
  return { bytes, ios };
}
