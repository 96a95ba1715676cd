// The one table that maps Berth's error kinds to HTTP statuses (moby does the same in one
// place), shared by every server: the domain picks a kind, never a status. What the body says
// is each server's own: the Engine API's `{"message"}`, the registry's OCI `{"errors":[...]}`.
import type { ServerResponse } from 'node:http';
import { BerthError, type ErrorKind, isNoSpace, messageOf } from '../errors.js';
import { log } from '../log.js';

const STATUS: Record<ErrorKind, number> = {
  'invalid-argument': 400,
  unauthorized: 401,
  forbidden: 403,
  'not-found': 404,
  conflict: 409,
  'method-not-allowed': 405,
  'too-large': 413,
  'range-not-satisfiable': 416,
  'too-many-requests': 429,
  'not-modified': 304,
  'not-implemented': 501,
  unavailable: 503,
  'insufficient-storage': 507,
  canceled: 499,
  internal: 500,
};

export function statusOf(e: unknown): number {
  if (e instanceof BerthError && e.kind !== 'internal') return STATUS[e.kind];
  // A full disk is not Berth's fault: 507 (RFC 4918's Insufficient Storage), never a 500.
  return isNoSpace(e) ? 507 : 500;
}

/** Renders the JSON body of an error answer; `status` is the one the table chose. */
export type ErrorBody = (e: unknown, status: number) => unknown;

/**
 * Answers with the error's status and body. Once the status line is out (a stream already
 * under way) nothing can be said in HTTP terms, so the connection is cut.
 */
export function writeError(res: ServerResponse, e: unknown, body: ErrorBody): void {
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
  const text = JSON.stringify(body(e, status)) + '\n';
  const send = () => {
    if (res.headersSent || res.destroyed) return;
    res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
    res.end(text);
  };
  // The client may still be sending (a build context when the disk filled up): answering now
  // and closing would cut its upload, and it would report ECONNRESET instead of our reason. So
  // the rest of the body is read and dropped first, for a bounded time.
  const req = res.req;
  if (req && !req.complete && !req.destroyed) {
    const timer = setTimeout(send, DRAIN_MS);
    const done = () => {
      clearTimeout(timer);
      send();
    };
    req.once('end', done);
    req.once('close', done);
    req.on('error', () => {});
    req.resume();
    return;
  }
  send();
}

/** How long an error answer waits for the rest of a request body. */
const DRAIN_MS = 30_000;
