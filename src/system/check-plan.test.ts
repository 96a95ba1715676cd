import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planCheck, type CheckFacts } from './check-plan.js';
import { chainIds } from '../lib/chain-id.js';
import type { Digest } from '../lib/digest.js';

const d = (c: string) => `sha256:${c.repeat(64)}` as Digest;
const [l1, l2] = [d('1'), d('2')];
const [c1, c2] = chainIds([l1, l2]) as [Digest, Digest];

function facts(over: Partial<CheckFacts> = {}): CheckFacts {
  return {
    blobs: { all: new Set([d('a'), d('b'), l1, d('f')]), corrupt: new Map() },
    layers: { sound: new Set([c1, c2]), damaged: new Map() },
    images: [
      { id: d('a'), tags: ['one:latest'], layers: [{ diffId: l1, chainId: c1 }], manifests: [], config: { diffIds: [l1] } },
      {
        id: d('b'),
        tags: [],
        layers: [
          { diffId: l1, chainId: c1 },
          { diffId: l2, chainId: c2, blob: { digest: d('f') } },
        ],
        manifests: [],
        config: { diffIds: [l1, l2] },
      },
    ],
    containers: [
      { id: 'x', name: 'x', live: false, phase: 'ready', imageChainId: c2, dirPresent: true },
      { id: 'y', name: 'y', live: true, phase: 'ready', imageChainId: c2, dirPresent: true },
      { id: 'z', name: 'z', live: false, phase: 'creating', imageChainId: null, dirPresent: false },
    ],
    ...over,
  };
}

test('a sound store plans nothing', () => {
  assert.deepEqual(planCheck(facts()).problems, []);
});

test('a damaged layer damages the images and containers on it; running containers are left alone', () => {
  const p = planCheck(facts({ layers: { sound: new Set([c1]), damaged: new Map([[c2, 'diff directory is missing']]) } }));
  assert.deepEqual(p.quarantineLayers, [c2]);
  assert.deepEqual(p.removeImages, [d('b')]);
  assert.deepEqual(p.quarantineContainers, ['x']);
  assert.equal(p.problems.find((x) => x.id === 'y')?.leftBecause, 'it is running');
  assert.ok(!p.problems.some((x) => x.id === 'z'), 'containers being created are recovery business');
});

test('a corrupt cache blob is quarantined and forgotten; a corrupt config removes its image', () => {
  const p = planCheck(
    facts({
      blobs: {
        all: new Set([d('a'), d('b'), l1, d('f')]),
        corrupt: new Map([
          [d('f'), 'x'],
          [d('a'), 'y'],
        ]),
      },
    }),
  );
  assert.deepEqual(p.quarantineBlobs.sort(), [d('a'), d('f')].sort());
  assert.deepEqual(p.removeImages, [d('a')]);
  assert.deepEqual(p.forgetBlobs, [{ id: d('b'), digests: [d('f')] }]);
  assert.deepEqual(p.quarantineContainers, []);
});

test('an image whose layers do not match its config diffIDs is damaged', () => {
  const f = facts();
  const p = planCheck({ ...f, images: [{ ...f.images[0]!, config: { diffIds: [l2] } }] });
  assert.equal(p.problems[0]?.problem, 'its layers do not match the diffIDs of its config');
});

// Found by the torture driver: after `berth push` every pushed image reported "names 2 blob(s)
// that are missing": a push remembers the compressed digest a layer went out as, without its bytes.
test('a layer blob the image was pushed as (digest remembered, bytes never kept) is no damage; a missing manifest is', () => {
  const f = facts({ blobs: { all: new Set([d('a'), d('b'), l1]), corrupt: new Map() } });
  assert.deepEqual(planCheck(f).problems, []);
  const withManifest = { ...f, images: [f.images[0]!, { ...f.images[1]!, manifests: [{ digest: d('e') }] }] };
  assert.deepEqual(planCheck(withManifest).forgetBlobs, [{ id: d('b'), digests: [d('e')] }]);
});
