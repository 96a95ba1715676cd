import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sha256 } from '../lib/digest.js';
import { parseIndex } from './image-config.js';
import { ociIndex } from './image-platforms.js';

test('ociIndex: an OCI index naming each platform manifest, platforms normalised as containerd writes them', () => {
  const m = (n: number) => ({ digest: sha256(Buffer.from(String(n))), mediaType: 'application/vnd.docker.distribution.manifest.v2+json', size: 500 + n });
  const bytes = ociIndex([
    { manifest: m(1), platform: { os: 'linux', architecture: 'amd64' } },
    { manifest: m(2), platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
    { manifest: m(3), platform: { os: 'linux', architecture: 'arm' } },
  ]);
  const index = parseIndex(bytes);
  assert.equal(index.mediaType, 'application/vnd.oci.image.index.v1+json');
  assert.deepEqual(
    index.manifests.map((d) => [d.digest, d.size, d.platform]),
    [
      [m(1).digest, 501, { architecture: 'amd64', os: 'linux' }],
      [m(2).digest, 502, { architecture: 'arm64', os: 'linux' }],
      [m(3).digest, 503, { architecture: 'arm', os: 'linux', variant: 'v7' }],
    ],
  );
  // Deterministic: the same platforms make the same bytes (a re-push keeps the index digest).
  assert.equal(
    sha256(ociIndex([{ manifest: m(1), platform: { os: 'linux', architecture: 'amd64' } }])),
    sha256(ociIndex([{ manifest: m(1), platform: { os: 'linux', architecture: 'amd64' } }])),
  );
});
