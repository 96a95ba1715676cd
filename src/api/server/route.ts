// What a route module exports: a method, a Docker-style path pattern and a handler.
// `{id}` matches one path segment; `{name*}` matches the rest including slashes (image names).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Query } from './request.js';

export interface RouteContext {
  req: IncomingMessage;
  res: ServerResponse;
  params: Record<string, string>;
  /** The request body. For upgraded requests it is the Content-Length bytes before the stream. */
  body: AsyncIterable<Buffer>;
  query: Query;
  /** The API version the client asked for (from the /vX.Y prefix), or the server's maximum. */
  apiVersion: string;
  /** Aborted when the client goes away. */
  signal: AbortSignal;
  /**
   * Takes over the connection for a raw bidirectional stream (attach, exec start). With an
   * `Upgrade: tcp` request it answers `101 UPGRADED`; otherwise it answers 200 and streams.
   */
  hijack(contentType: string): Duplex;
  /** True if the request asked to upgrade (the docker CLI does for attach and exec). */
  upgradeRequested: boolean;
}

export type Handler = (ctx: RouteContext) => Promise<void>;

export interface Route {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'HEAD';
  path: string;
  handler: Handler;
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body) + '\n';
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

export function sendNoContent(res: ServerResponse, status = 204): void {
  res.writeHead(status).end();
}

/** Compares "1.41" style versions. */
export function versionAtLeast(v: string, min: string): boolean {
  const [a1, a2] = v.split('.').map(Number);
  const [b1, b2] = min.split('.').map(Number);
  return a1! > b1! || (a1 === b1 && a2! >= b2!);
}
