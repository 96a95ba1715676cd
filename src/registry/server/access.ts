// Who may do what: the scopes a request needs (Docker's token scopes: repository:<name>:pull,
// push, delete; registry:catalog:*) and the interface the authorizers implement. Routes declare
// what they need; server.ts asks the authorizer before the handler runs.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestContext, Route } from '../../lib/http/route.js';

export type Action = 'pull' | 'push' | 'delete' | '*';

export interface Scope {
  type: 'repository' | 'registry';
  name: string;
  actions: Action[];
}

export const repoScope = (name: string, ...actions: Action[]): Scope => ({ type: 'repository', name, actions });
export const CATALOG_SCOPE: Scope = { type: 'registry', name: 'catalog', actions: ['*'] };

export function formatScope(s: Scope): string {
  return `${s.type}:${s.name}:${s.actions.join(',')}`;
}

/** What a request's credentials grant, for checks a route makes itself (a mount's source). */
export interface Grant {
  allows(scope: Scope): boolean;
}

export interface Authorizer {
  /**
   * Checks the request's credentials against the scopes; throws UNAUTHORIZED (setting
   * WWW-Authenticate on `res`) or DENIED. Returns what the credentials grant.
   */
  authorize(req: IncomingMessage, res: ServerResponse, needed: Scope[]): Promise<Grant>;
}

/** No --htpasswd and no token key: everyone may do everything. */
export const openAccess: Authorizer = {
  authorize: async () => ({ allows: () => true }),
};

export interface RegistryContext extends RequestContext {
  grant: Grant;
}

/** A registry route: its scopes come from the URL (and a mount's `from`) before it runs. */
export interface RegistryRoute extends Route<RegistryContext> {
  scopes(params: Record<string, string>, query: URLSearchParams): Scope[];
}
