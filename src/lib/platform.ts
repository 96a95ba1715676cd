// OCI platforms ("linux/arm64/v8") as Docker and containerd read and compare them: the grammar,
// normalisation (aarch64 → arm64, arm64/v8 ≡ arm64, amd64/v1 ≡ amd64, arm ≡ arm/v7), the host's
// platform (with the amd64 micro-architecture level read from /proc/cpuinfo, as Docker 28 shows
// "linux/amd64/v3"), and which image platforms a wanted platform accepts, best first.
// Pure except hostPlatform/hostAmd64Level, which read the CPU once.
import { readFileSync } from 'node:fs';
import { invalidArgument } from './errors.js';

export interface Platform {
  architecture: string;
  os: string;
  variant?: string;
  'os.version'?: string;
}

const ARCH_ALIASES: Record<string, { arch: string; variant?: string }> = {
  aarch64: { arch: 'arm64' },
  x86_64: { arch: 'amd64' },
  'x86-64': { arch: 'amd64' },
  i386: { arch: '386' },
  i686: { arch: '386' },
  armhf: { arch: 'arm', variant: 'v7' },
  armel: { arch: 'arm', variant: 'v6' },
};

/** containerd's Normalize: canonical arch names; arm64/v8 and amd64/v1 lose their (default) variant, bare arm becomes arm/v7. */
export function normalizePlatform(p: Platform): Platform {
  const os = p.os.toLowerCase() === 'macos' ? 'darwin' : p.os.toLowerCase();
  let arch = p.architecture.toLowerCase();
  let variant = p.variant?.toLowerCase() || undefined;
  const alias = ARCH_ALIASES[arch];
  if (alias) {
    arch = alias.arch;
    variant = variant ?? alias.variant;
  }
  if (arch === 'arm64' && (variant === '8' || variant === 'v8' || variant === 'v8.0')) variant = undefined;
  if (arch === 'amd64' && variant === 'v1') variant = undefined;
  if (arch === 'arm') {
    if (!variant || variant === '7') variant = 'v7';
    else if (/^[5-8]$/.test(variant)) variant = `v${variant}`;
  }
  const out: Platform = { os, architecture: arch };
  if (variant) out.variant = variant;
  return out;
}

/** "linux/amd64", "linux/arm64/v8", "amd64" (the host's OS) → Platform, as given (not normalised); invalid → invalid-argument. */
export function parsePlatform(s: string): Platform {
  const parts = s.trim().toLowerCase().split('/');
  if (parts.some((p) => !/^[a-z0-9_.-]+$/.test(p)) || parts.length > 3)
    throw invalidArgument(`"${s}": unknown operating system or architecture: invalid argument`);
  if (parts.length === 1) return { os: 'linux', architecture: parts[0]! };
  const p: Platform = { os: parts[0]!, architecture: parts[1]! };
  if (parts[2]) p.variant = parts[2];
  return p;
}

export function formatPlatform(p: Platform): string {
  return [p.os, p.architecture, p.variant].filter(Boolean).join('/');
}

const NODE_ARCH: Record<string, string> = {
  x64: 'amd64',
  arm64: 'arm64',
  arm: 'arm',
  ia32: '386',
  ppc64: 'ppc64le',
  s390x: 's390x',
  riscv64: 'riscv64',
  loong64: 'loong64',
};

// x86-64 micro-architecture levels by /proc/cpuinfo flags (the psABI's lists; abm carries lzcnt).
const AMD64_LEVELS: string[][] = [
  ['cx16', 'lahf_lm', 'popcnt', 'sse4_1', 'sse4_2', 'ssse3'],
  ['avx', 'avx2', 'bmi1', 'bmi2', 'f16c', 'fma', 'abm', 'movbe', 'xsave'],
  ['avx512f', 'avx512bw', 'avx512cd', 'avx512dq', 'avx512vl'],
];

/** The x86-64 level (1..4) a set of CPU flags reaches. */
export function amd64LevelOf(flags: Iterable<string>): number {
  const set = new Set(flags);
  let level = 1;
  for (const needed of AMD64_LEVELS) {
    if (!needed.every((f) => set.has(f))) break;
    level++;
  }
  return level;
}

let cachedLevel: number | undefined;
/** This CPU's x86-64 level; 1 when /proc/cpuinfo says nothing. */
export function hostAmd64Level(): number {
  if (cachedLevel === undefined) {
    let flags: string[] = [];
    try {
      flags = /^flags\s*:(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim().split(/\s+/) ?? [];
    } catch {}
    cachedLevel = amd64LevelOf(flags);
  }
  return cachedLevel;
}

/**
 * The host's platform. Plain (`linux/amd64`, `linux/arm64/v8`) as images are made for it;
 * `{ maximum: true }` adds the amd64 level (`linux/amd64/v3`), as Docker's daemon names the host
 * in its platform warning and matches images against it.
 */
export function hostPlatform(o: { maximum?: boolean } = {}): Platform {
  const arch = NODE_ARCH[process.arch] ?? process.arch;
  if (arch === 'arm64') return { os: 'linux', architecture: arch, variant: 'v8' };
  if (arch === 'arm') return { os: 'linux', architecture: arch, variant: 'v7' };
  if (arch === 'amd64' && o.maximum) {
    const level = hostAmd64Level();
    return level > 1 ? { os: 'linux', architecture: arch, variant: `v${level}` } : { os: 'linux', architecture: arch };
  }
  return { os: 'linux', architecture: arch };
}

/**
 * The platforms an image may have to satisfy `want`, best first (containerd's platform vector):
 * amd64/v3 accepts amd64/v3, v2, v1 and 386; arm64 accepts arm64 and arm/v8..v5 below it;
 * arm/v7 accepts arm/v7, v6, v5. Each entry is normalised.
 */
export function compatiblePlatforms(want: Platform): Platform[] {
  const p = normalizePlatform(want);
  const out: Platform[] = [p];
  const levels = (arch: string, from: number, to: number, os: string) => {
    for (let v = from; v >= to; v--) out.push(normalizePlatform({ os, architecture: arch, variant: `v${v}` }));
  };
  if (p.architecture === 'amd64') {
    const level = Number(p.variant?.slice(1) ?? '1') || 1;
    if (level > 1) levels('amd64', level - 1, 1, p.os);
    out.push({ os: p.os, architecture: '386' });
  } else if (p.architecture === 'arm64' && !p.variant) {
    levels('arm', 8, 5, p.os);
  } else if (p.architecture === 'arm' && p.variant) {
    const v = Number(p.variant.slice(1));
    if (v > 5) levels('arm', v - 1, 5, p.os);
  }
  return out.filter((q, i) => out.findIndex((r) => formatPlatform(r) === formatPlatform(q)) === i);
}

/**
 * Where `have` ranks among the platforms `want` accepts (0 is best), or -1 when it does not
 * satisfy it. `fallback` (Docker's OnlyPlatformWithFallback): an image that names no variant
 * matches any variant of its architecture (old images never recorded one).
 */
export function platformRank(want: Platform, have: Platform, o: { fallback?: boolean } = {}): number {
  const h = normalizePlatform(have);
  const key = formatPlatform(h);
  const vector = compatiblePlatforms(want);
  const i = vector.findIndex((p) => formatPlatform(p) === key);
  if (i >= 0 || !o.fallback || have.variant) return i;
  return vector.findIndex((p) => p.os === h.os && p.architecture === h.architecture);
}

export function platformMatches(want: Platform, have: Platform, o: { fallback?: boolean } = {}): boolean {
  return platformRank(want, have, o) >= 0;
}
