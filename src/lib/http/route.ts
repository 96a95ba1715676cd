// What a route module exports: a method, a path pattern and a handler, generic over the
// context its server hands the handler (the Engine API adds its version and hijacking; the
// registry server and the dashboard listener need only the base).
// `{id}` matches one path segment; `{name*}` matches the rest including slashes (image names).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Query } from './request.js';

/** What every handler gets, whichever server it is served by. */
export interface RequestContext {
  req: IncomingMessage;
  res: ServerResponse;
  params: Record<string, string>;
  /** The request body. For upgraded requests it was read whole before the handler runs (see upgrade-body.ts). */
  body: AsyncIterable<Buffer>;
  query: Query;
  /** Aborted when the client goes away. */
  signal: AbortSignal;
}

export type Handler<C extends RequestContext = RequestContext> = (ctx: C) => Promise<void>;

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD';

export interface Route<C extends RequestContext = RequestContext> {
  method: Method;
  path: string;
  handler: Handler<C>;
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  sendJsonText(res, status, JSON.stringify(body));
}

/** A JSON answer already serialised (by a route that keeps parts of it). */
export function sendJsonText(res: ServerResponse, status: number, json: string): void {
  const text = json + '\n';
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

/** A JSON answer already encoded, final newline included (a route that keeps its answer's bytes). */
export function sendJsonBytes(res: ServerResponse, status: number, body: Buffer): void {
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': body.length });
  res.end(body);
}

export function sendNoContent(res: ServerResponse, status = 204): void {
  res.writeHead(status).end();
}
