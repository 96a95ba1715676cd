// IPv4 routes of the host namespace (/proc/net/route), so an automatically chosen subnet never
// shadows a network the host already reaches.
import { readFile } from 'node:fs/promises';
import type { Cidr } from './subnet.js';

/** /proc/net/route prints addresses as little-endian hex. */
const le = (hex: string) => parseInt(hex.slice(6, 8) + hex.slice(4, 6) + hex.slice(2, 4) + hex.slice(0, 2), 16) >>> 0;

export async function hostRoutes(): Promise<Cidr[]> {
  const text = await readFile('/proc/net/route', 'utf8').catch(() => '');
  const out: Cidr[] = [];
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 8) continue;
    const m = le(f[7]!);
    if (m === 0) continue; // the default route overlaps everything; it does not count
    out.push({ base: le(f[1]!), prefix: 32 - countZeros(m) });
  }
  return out;
}

function countZeros(m: number): number {
  let n = 0;
  while (n < 32 && ((m >>> n) & 1) === 0) n++;
  return n;
}
