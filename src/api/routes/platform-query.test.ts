import { test } from 'node:test';
import assert from 'node:assert/strict';
import { platformQuery } from './images.js';

test("image inspect's platform query: JSON as the docker CLI sends it, or os/arch[/variant]; bad input is a 400", () => {
  assert.equal(platformQuery(undefined), undefined);
  assert.equal(platformQuery(''), undefined);
  assert.deepEqual(platformQuery('{"os":"linux","architecture":"arm64","variant":"v8"}'), { os: 'linux', architecture: 'arm64', variant: 'v8' });
  assert.deepEqual(platformQuery('linux/arm/v7'), { os: 'linux', architecture: 'arm', variant: 'v7' });
  assert.throws(() => platformQuery('{"os":"linux"}'), /invalid platform/);
  assert.throws(() => platformQuery('{nope'), /invalid platform/);
});
