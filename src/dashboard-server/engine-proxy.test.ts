import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isForwardable } from './engine-proxy.js';

test("only the Engine resource paths are forwarded, never Berth's own routes", () => {
  for (const ok of [
    '/v1.45/containers/json',
    '/containers/abc/stop',
    '/_ping',
    '/v1.45/events',
    '/info',
    '/system/df',
    '/exec/x/json',
    '/images/busybox:latest',
    '/v1.45/build', // the build view
    '/v1.45/build/prune',
  ]) {
    assert.ok(isForwardable(ok), ok);
  }
  for (const bad of [
    '/berth/dashboard/token',
    '/v1.45/berth/dashboard/token',
    '/containers/../berth/dashboard/token',
    '/',
    '/containersx',
    '/v1.45/session',
    '/buildx',
    '/images/../../berth',
  ]) {
    assert.ok(!isForwardable(bad), bad);
  }
});
