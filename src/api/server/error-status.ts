// The one table that maps Berth's error kinds to HTTP statuses (moby does the same in one
// place). Docker clients read `{"message": ...}` bodies, so that is the only error shape.
import type { ServerResponse } from 'node:http';
import { BerthError, type ErrorKind, messageOf } from '../../lib/errors.js';
import { log } from '../../lib/log.js';

const STATUS: Record<ErrorKind, number> = {
  'invalid-argument': 400,
  unauthorized: 401,
  forbidden: 403,
  'not-found': 404,
  conflict: 409,
  'not-modified': 304,
  'not-implemented': 501,
  unavailable: 503,
  canceled: 499,
  internal: 500,
};

export function statusOf(e: unknown): number {
  return e instanceof BerthError ? STATUS[e.kind] : 500;
}

export function writeError(res: ServerResponse, e: unknown): void {
  const status = statusOf(e);
  if (status >= 500) log.error('request failed', { error: messageOf(e), stack: e instanceof Error ? e.stack : undefined });
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (status === 304) {
    res.writeHead(304).end();
    return;
  }
  const body = JSON.stringify({ message: messageOf(e) }) + '\n';
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}
