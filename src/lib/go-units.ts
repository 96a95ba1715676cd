// docker/go-units' parser for sizes in flags and Dockerfiles (--memory 512m, tmpfs size=64m),
// one copy for the builder and the clients.

const BINARY: Record<string, number> = { k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 };

/** go-units RAMInBytes: `512m` → 536870912, `1.5GiB`, `512` (binary multiples, optional i/b suffixes). */
export function ramInBytes(size: string): number {
  const m = /^(\d+(?:\.\d+)*) ?([kKmMgGtTpP])?[iI]?[bB]?$/.exec(size);
  if (!m) throw new Error(`invalid size: '${size}'`);
  const n = Number(m[1]);
  if (!Number.isFinite(n)) throw new Error(`invalid size: '${size}'`);
  return Math.floor(n * (m[2] ? BINARY[m[2].toLowerCase()]! : 1));
}
