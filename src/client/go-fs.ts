// File access with Go's error texts ("open x: no such file or directory"), which docker prints.
import { createReadStream, createWriteStream, openSync, type ReadStream, type WriteStream } from 'node:fs';

const GO_ERRNO: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EISDIR: 'is a directory',
  ENOTDIR: 'not a directory',
  EEXIST: 'file exists',
  EPERM: 'operation not permitted',
  ENOSPC: 'no space left on device',
};

export function goErrno(e: unknown): string {
  const code = (e as { code?: string }).code ?? '';
  return GO_ERRNO[code] ?? (e as Error).message;
}

/** Opens now (so a missing file fails before any request) and streams from the open fd. */
export function openRead(path: string): ReadStream {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw new Error(`open ${path}: ${goErrno(e)}`);
  }
  return createReadStream('', { fd });
}

export function openWrite(path: string): WriteStream {
  let fd: number;
  try {
    fd = openSync(path, 'w', 0o666);
  } catch (e) {
    throw new Error(`open ${path}: ${goErrno(e)}`);
  }
  return createWriteStream('', { fd });
}
