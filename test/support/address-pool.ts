// A /16 of 10.20-89 for one test daemon's `--default-address-pool`: one that no host route covers
// as a whole (a 10.88.0.0/16 left by Podman's cni-podman0 made every network create of a daemon
// that drew 10.88 fail with "could not find an available, non-overlapping IPv4 address pool"),
// and that no other live test daemon holds, so daemons of test files running side by side never
// race for the same subnets. Claims are files under /tmp naming the claimer; a claim whose
// process is gone is taken over. 10.90-99 stay out of it: tests that name a /16 themselves use them.
import { execFileSync } from 'node:child_process';
import { linkSync, mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const CLAIMS = '/tmp/berth-test-pools';

export interface AddressPoolClaim {
  /** dockerd's form: base=10.X.0.0/16,size=24 */
  readonly pool: string;
  release(): void;
}

/** Second octets whose whole 10.X.0.0/16 lies inside one host route (any table). */
function coveredSecondOctets(): Set<number> {
  const covered = new Set<number>();
  let text = '';
  try {
    text = execFileSync('ip', ['-o', '-4', 'route', 'show', 'table', 'all'], { encoding: 'utf8' });
  } catch {
    return covered;
  }
  for (const m of text.matchAll(/^(?:\w+ )?10\.(\d+)\.\d+\.\d+\/(\d+)/gm)) {
    const prefix = Number(m[2]);
    if (prefix > 16) continue;
    if (prefix <= 8) for (let x = 0; x < 256; x++) covered.add(x);
    else {
      const span = 2 ** (16 - prefix);
      const first = Number(m[1]) - (Number(m[1]) % span);
      for (let x = first; x < first + span; x++) covered.add(x);
    }
  }
  return covered;
}

function holderAlive(file: string): boolean {
  const pid = Number(readFileSync(file, 'utf8').split(' ')[0]);
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export function claimAddressPool(): AddressPoolClaim {
  mkdirSync(CLAIMS, { recursive: true });
  const covered = coveredSecondOctets();
  const token = `${process.pid} ${Math.random().toString(36).slice(2)}`;
  const candidates = Array.from({ length: 70 }, (_, i) => 20 + i).filter((x) => !covered.has(x));
  for (let i = candidates.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [candidates[i], candidates[j]] = [candidates[j]!, candidates[i]!];
  }
  for (const x of candidates) {
    const file = join(CLAIMS, String(x));
    // The claim is written whole beside it, then linked into place: link fails if the name exists.
    const temp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}`;
    writeFileSync(temp, token);
    try {
      linkSync(temp, file);
    } catch {
      // Taken: take it over only when its holder is gone (a test process killed before its stop()).
      let alive = true;
      try {
        alive = holderAlive(file);
      } catch {}
      if (alive) {
        unlinkSync(temp);
        continue;
      }
      renameSync(temp, file);
    }
    try {
      unlinkSync(temp);
    } catch {}
    return {
      pool: `base=10.${x}.0.0/16,size=24`,
      release() {
        try {
          if (readFileSync(file, 'utf8') === token) unlinkSync(file);
        } catch {}
      },
    };
  }
  // Every /16 taken: share one (the daemon still skips subnets in use on the host).
  const x = candidates[0] ?? 20 + Math.floor(Math.random() * 80);
  return { pool: `base=10.${x}.0.0/16,size=24`, release() {} };
}
