import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chooseContext, currentContextSetting } from './host.js';

const none = () => undefined;
const inUse = () => 'cfgctx';

test("the docker CLI's context choice: --context, then -H / DOCKER_HOST (default), then DOCKER_CONTEXT, then config.json, then default", () => {
  assert.equal(chooseContext(undefined, 'flag', { DOCKER_HOST: 'unix:///x', DOCKER_CONTEXT: 'env' }, inUse), 'flag');
  assert.equal(chooseContext('unix:///h', undefined, { DOCKER_CONTEXT: 'env' }, inUse), 'default');
  assert.equal(chooseContext(undefined, undefined, { DOCKER_HOST: 'unix:///x', DOCKER_CONTEXT: 'env' }, inUse), 'default');
  assert.equal(chooseContext(undefined, undefined, { DOCKER_CONTEXT: 'env' }, inUse), 'env');
  assert.equal(chooseContext(undefined, undefined, {}, inUse), 'cfgctx');
  assert.equal(chooseContext(undefined, undefined, {}, none), 'default');
  assert.throws(() => chooseContext('unix:///h', 'flag', {}, none), /conflicting options: cannot specify both --host and --context/);
});

test('config.json is read only when nothing before it decides', () => {
  let reads = 0;
  const counting = () => {
    reads++;
    return 'cfgctx';
  };
  chooseContext('unix:///h', undefined, {}, counting);
  chooseContext(undefined, undefined, { DOCKER_HOST: 'unix:///x' }, counting);
  chooseContext(undefined, undefined, { DOCKER_CONTEXT: 'env' }, counting);
  assert.equal(reads, 0);
});

test('currentContext comes from $DOCKER_CONFIG/config.json; a missing or broken file has none', () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-ctx-'));
  assert.equal(currentContextSetting({ DOCKER_CONFIG: dir }), undefined);
  writeFileSync(join(dir, 'config.json'), '{"auths":{},"currentContext":"mine"}');
  assert.equal(currentContextSetting({ DOCKER_CONFIG: dir }), 'mine');
  writeFileSync(join(dir, 'config.json'), '{not json');
  assert.equal(currentContextSetting({ DOCKER_CONFIG: dir }), undefined);
  assert.equal(currentContextSetting({ HOME: dir }), undefined, 'no ~/.docker there');
});
