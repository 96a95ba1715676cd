import { test } from 'node:test';
import assert from 'node:assert/strict';
import { composeArgs } from './compose-actions.js';

const exists = (p: string) => p.startsWith('/srv/');

test('compose actions become `berth compose` arguments with the files the labels name', () => {
  const files = { configFiles: ['/srv/app/compose.yaml', '/srv/app/override.yaml'], workingDir: '/srv/app' };
  assert.deepEqual(composeArgs({ project: 'app', action: 'up', ...files }, exists), [
    'compose',
    '-p',
    'app',
    '-f',
    '/srv/app/compose.yaml',
    '-f',
    '/srv/app/override.yaml',
    '--project-directory',
    '/srv/app',
    'up',
    '-d',
  ]);
  assert.deepEqual(composeArgs({ project: 'app', action: 'restart', ...files }, exists).slice(-1), ['restart']);
  // down works from the name alone, also when the files are gone
  assert.deepEqual(composeArgs({ project: 'app', action: 'down', configFiles: ['/gone/compose.yaml'] }, exists), ['compose', '-p', 'app', 'down']);
});

test('bad compose requests are refused before anything runs', () => {
  assert.throws(() => composeArgs({ project: 'app', action: 'up', configFiles: ['/gone/compose.yaml'] }, exists), /compose files are gone/);
  assert.throws(() => composeArgs({ project: 'app', action: 'up' }, exists), /no com.docker.compose.project.config_files/);
  assert.throws(() => composeArgs({ project: 'app', action: 'exec' }, exists), /unknown compose action/);
  assert.throws(() => composeArgs({ project: '../x', action: 'down' }, exists), /invalid compose project name/);
  assert.throws(() => composeArgs({ project: 'App', action: 'down' }, exists), /invalid compose project name/);
  assert.throws(() => composeArgs({ project: 'app', action: 'up', configFiles: ['compose.yaml'] }, exists), /not an absolute path/);
  assert.throws(() => composeArgs({ project: 'app', action: 'down', configFiles: ['--help'] }, exists), /not an absolute path/);
});
