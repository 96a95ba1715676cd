// Swarm's resources (/swarm, /nodes, /services, /tasks, /secrets, /configs): Berth runs no
// swarm, so each answers as a dockerd that never joined one does. Clients rely on the exact
// answer: 503 with "not a swarm manager" for every manager call, and "not part of a swarm" for
// leave (`docker swarm leave`, docker-py's `swarm.leave(force=True)` treat it as nothing to do).
import { notPartOfSwarm, notSwarmManager } from '../../lib/docker-messages.js';
import type { Method } from '../../lib/http/route.js';
import type { Route } from '../server/route.js';

/** The swagger's swarm-mode paths (v1.45), each under the methods it declares. */
const MANAGER_ROUTES: [Method, string][] = [
  ['GET', '/swarm'],
  ['POST', '/swarm/init'],
  ['POST', '/swarm/join'],
  ['POST', '/swarm/update'],
  ['GET', '/swarm/unlockkey'],
  ['POST', '/swarm/unlock'],
  ['GET', '/nodes'],
  ['GET', '/nodes/{id}'],
  ['DELETE', '/nodes/{id}'],
  ['POST', '/nodes/{id}/update'],
  ['GET', '/services'],
  ['POST', '/services/create'],
  ['GET', '/services/{id}'],
  ['DELETE', '/services/{id}'],
  ['POST', '/services/{id}/update'],
  ['GET', '/services/{id}/logs'],
  ['GET', '/tasks'],
  ['GET', '/tasks/{id}'],
  ['GET', '/tasks/{id}/logs'],
  ...(['secrets', 'configs'] as const).flatMap((kind): [Method, string][] => [
    ['GET', `/${kind}`],
    ['POST', `/${kind}/create`],
    ['GET', `/${kind}/{id}`],
    ['DELETE', `/${kind}/{id}`],
    ['POST', `/${kind}/{id}/update`],
  ]),
];

export function swarmRoutes(): Route[] {
  return [
    {
      method: 'POST',
      path: '/swarm/leave',
      handler: async () => {
        throw notPartOfSwarm();
      },
    },
    ...MANAGER_ROUTES.map(
      ([method, path]): Route => ({
        method,
        path,
        handler: async () => {
          throw notSwarmManager();
        },
      }),
    ),
  ];
}
