// What an Engine API route gets beyond lib/http's request context: the API version the client
// asked for and Docker's connection hijacking (attach, exec start).
import type { Duplex } from 'node:stream';
import type { RequestContext, Route as HttpRoute } from '../../lib/http/route.js';

export interface RouteContext extends RequestContext {
  /** The API version the client asked for (from the /vX.Y prefix), or the server's maximum. */
  apiVersion: string;
  /**
   * Takes over the connection for a raw bidirectional stream (attach, exec start). With an
   * `Upgrade: tcp` request it answers `101 UPGRADED`; otherwise it answers 200 and streams.
   */
  hijack(contentType: string): Duplex;
  /** True if the request asked to upgrade (the docker CLI does for attach and exec). */
  upgradeRequested: boolean;
}

export type Route = HttpRoute<RouteContext>;
