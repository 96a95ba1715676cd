import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Project } from './model.js';
import { planWatchBatch, watchTriggers } from './watch-plan.js';

const project = {
  name: 'p',
  workingDir: '/src',
  configFiles: [],
  disabledServices: {},
  networks: {},
  volumes: {},
  secrets: {},
  configs: {},
  profiles: [],
  environment: {},
  services: {
    web: {
      develop: {
        watch: [
          { path: '/src/web/static', action: 'sync', target: '/app/static', ignore: ['*.tmp'] },
          { path: '/src/web/requirements.txt', action: 'rebuild' },
          { path: '/src/web', action: 'sync+restart', target: '/app' },
        ],
      },
    },
    worker: { develop: { watch: [{ path: '/src/web', action: 'sync', target: '/srv' }] } },
    db: {},
  },
} as unknown as Project;

test('a change maps to the first rule of each service that takes it; ignored paths fall to the next rule; swap files never count', () => {
  const t = watchTriggers(project, ['web', 'worker', 'db']);
  const work = planWatchBatch(t, ['/src/web/static/app.css', '/src/web/static/x.tmp', '/src/web/.app.py.swp', '/elsewhere/x']);
  assert.deepEqual(work, [
    {
      service: 'web',
      sync: [
        { hostPath: '/src/web/static/app.css', containerPath: '/app/static/app.css' },
        { hostPath: '/src/web/static/x.tmp', containerPath: '/app/static/x.tmp' },
      ],
      restart: true,
      rebuild: false,
      changes: 2,
    },
    {
      service: 'worker',
      sync: [
        { hostPath: '/src/web/static/app.css', containerPath: '/srv/static/app.css' },
        { hostPath: '/src/web/static/x.tmp', containerPath: '/srv/static/x.tmp' },
      ],
      restart: false,
      rebuild: false,
      changes: 2,
    },
  ]);
});

test('sync+restart restarts; a rebuild in the batch replaces sync and restart', () => {
  const t = watchTriggers(project, ['web']);
  assert.deepEqual(planWatchBatch(t, ['/src/web/app.py']), [
    { service: 'web', sync: [{ hostPath: '/src/web/app.py', containerPath: '/app/app.py' }], restart: true, rebuild: false, changes: 1 },
  ]);
  assert.deepEqual(planWatchBatch(t, ['/src/web/app.py', '/src/web/requirements.txt']), [
    { service: 'web', sync: [], restart: false, rebuild: true, changes: 2 },
  ]);
});
