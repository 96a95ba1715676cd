// Docker's API version prefix: /v1.45/containers/json and /containers/json reach the same
// handler; versions outside [MIN, MAX] get Docker's 400 messages.
import { invalidArgument } from '../../lib/errors.js';

export const MIN_API_VERSION = '1.24';
export const MAX_API_VERSION = '1.45';

/** Splits the version prefix off; throws Docker's errors for unsupported versions. */
export function splitVersion(pathname: string): { apiVersion: string; path: string } {
  const m = /^\/v(\d+\.\d+)(\/.*)$/.exec(pathname);
  if (!m) return { apiVersion: MAX_API_VERSION, path: pathname };
  const v = m[1]!;
  const [maj, min] = v.split('.').map(Number) as [number, number];
  const [xmaj, xmin] = MAX_API_VERSION.split('.').map(Number) as [number, number];
  const [nmaj, nmin] = MIN_API_VERSION.split('.').map(Number) as [number, number];
  if (maj > xmaj || (maj === xmaj && min > xmin)) throw invalidArgument(`client version ${v} is too new. Maximum supported API version is ${MAX_API_VERSION}`);
  if (maj < nmaj || (maj === nmaj && min < nmin))
    throw invalidArgument(`client version ${v} is too old. Minimum supported API version is ${MIN_API_VERSION}, please upgrade your client to a newer version`);
  return { apiVersion: v, path: m[2]! };
}

/** Compares "1.41" style versions. */
export function versionAtLeast(v: string, min: string): boolean {
  const [a1, a2] = v.split('.').map(Number);
  const [b1, b2] = min.split('.').map(Number);
  return a1! > b1! || (a1 === b1 && a2! >= b2!);
}
