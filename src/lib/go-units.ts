// docker/go-units: sizes as Docker prints them and the parser for sizes in flags and
// Dockerfiles (--memory 512m, tmpfs size=64m), one copy for the daemon, the builder and the CLI.
import { formatG } from './go-print.js';

const DECIMAL = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB'];
const BINARY_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB', 'ZiB', 'YiB'];

function customSize(size: number, precision: number, base: number, units: string[]): string {
  let i = 0;
  while (size >= base && i < units.length - 1) {
    size /= base;
    i++;
  }
  return `${formatG(size, precision)}${units[i]}`;
}

/** go-units HumanSizeWithPrecision: decimal units, `precision` significant digits (the CLI's tables use 3). */
export const humanSizeWithPrecision = (bytes: number, precision: number) => customSize(bytes, precision, 1000, DECIMAL);
/** go-units HumanSize: decimal units, 4 significant digits ("123.5kB", "16.43MB"). */
export const humanSize = (bytes: number) => humanSizeWithPrecision(bytes, 4);
/** go-units BytesSize: binary units, 4 significant digits ("1.5MiB"), used by stats. */
export const bytesSize = (bytes: number) => customSize(bytes, 4, 1024, BINARY_UNITS);

const BINARY: Record<string, number> = { k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 };

/** go-units RAMInBytes: `512m` → 536870912, `1.5GiB`, `512` (binary multiples, optional i/b suffixes). */
export function ramInBytes(size: string): number {
  const m = /^(\d+(?:\.\d+)*) ?([kKmMgGtTpP])?[iI]?[bB]?$/.exec(size);
  if (!m) throw new Error(`invalid size: '${size}'`);
  const n = Number(m[1]);
  if (!Number.isFinite(n)) throw new Error(`invalid size: '${size}'`);
  return Math.floor(n * (m[2] ? BINARY[m[2].toLowerCase()]! : 1));
}
