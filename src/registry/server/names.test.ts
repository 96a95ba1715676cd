import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isBerthError } from '../../lib/errors.js';
import { checkManifest, MEDIA } from './manifest-check.js';
import { parseBlobDigest, parseManifestRef, parseRepoName } from './names.js';
import { AccessRules } from './auth/access-rules.js';
import { repoScope, CATALOG_SCOPE } from './access.js';

const code = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return isBerthError(e) ? e.code : 'NOT_BERTH';
  }
  return 'OK';
};
const D = `sha256:${'a'.repeat(64)}`;

test('repository names: the spec grammar, 255 characters at most', () => {
  for (const ok of ['a', 'library/busybox', 'a.b/c_d/e__f/g-h/i--j', '0/1', `${'a'.repeat(255)}`])
    assert.equal(
      code(() => parseRepoName(ok)),
      'OK',
      ok,
    );
  for (const bad of ['', 'A', 'a/', '/a', 'a//b', '..', 'a/../b', 'a/./b', '_a', 'a_', 'a..b', 'a___b', 'a b', `${'a'.repeat(256)}`])
    assert.equal(
      code(() => parseRepoName(bad)),
      'NAME_INVALID',
      bad,
    );
});

test('digests: malformed DIGEST_INVALID, well-formed other algorithms UNSUPPORTED; references', () => {
  assert.equal(parseBlobDigest(D), D);
  assert.equal(
    code(() => parseBlobDigest('sha256:abc')),
    'DIGEST_INVALID',
  );
  assert.equal(
    code(() => parseBlobDigest(`sha256:${'A'.repeat(64)}`)),
    'DIGEST_INVALID',
  );
  assert.equal(
    code(() => parseBlobDigest('nocolon')),
    'DIGEST_INVALID',
  );
  assert.equal(
    code(() => parseBlobDigest(`sha512:${'a'.repeat(128)}`)),
    'UNSUPPORTED',
  );
  assert.deepEqual(parseManifestRef('v1.0_rc-1'), { tag: 'v1.0_rc-1' });
  assert.deepEqual(parseManifestRef(D), { digest: D });
  assert.equal(
    code(() => parseManifestRef('-bad')),
    'MANIFEST_INVALID',
  );
  assert.equal(
    code(() => parseManifestRef('x'.repeat(129))),
    'MANIFEST_INVALID',
  );
});

test('manifest check: the four media types, descriptors, foreign layers, subject and artifactType', () => {
  const desc = (mt: string, d = D, size = 3) => ({ mediaType: mt, digest: d, size });
  const img = {
    schemaVersion: 2,
    mediaType: MEDIA.ociManifest,
    config: desc('application/vnd.oci.image.config.v1+json'),
    layers: [
      desc('application/vnd.oci.image.layer.v1.tar+gzip'),
      desc('application/vnd.oci.image.layer.nondistributable.v1.tar+gzip', `sha256:${'b'.repeat(64)}`),
    ],
  };
  const m = checkManifest(Buffer.from(JSON.stringify(img)), MEDIA.ociManifest);
  assert.equal(m.blobs.length, 2, 'config + the distributable layer');
  assert.equal(m.artifactType, 'application/vnd.oci.image.config.v1+json', 'an image lists as its config type');
  const noType = checkManifest(Buffer.from(JSON.stringify({ ...img, mediaType: undefined })), '');
  assert.equal(noType.mediaType, MEDIA.ociManifest, 'OCI allows mediaType to be absent');
  const idx = checkManifest(
    Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MEDIA.dockerList, manifests: [desc(MEDIA.dockerManifest)] })),
    MEDIA.dockerList,
  );
  assert.equal(idx.manifests.length, 1);
  const art = checkManifest(Buffer.from(JSON.stringify({ ...img, artifactType: 'x/y', subject: desc(MEDIA.ociManifest), annotations: { a: 'b' } })), '');
  assert.equal(art.artifactType, 'x/y');
  assert.equal(art.subject?.digest, D);
  const bad = (v: unknown, ct: string = MEDIA.ociManifest) => code(() => checkManifest(Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)), ct));
  assert.equal(bad('{'), 'MANIFEST_INVALID');
  assert.equal(bad({ ...img, schemaVersion: 1 }), 'MANIFEST_INVALID');
  assert.equal(bad({ ...img, layers: 'x' }), 'MANIFEST_INVALID');
  assert.equal(bad({ ...img, config: { ...img.config, size: -1 } }), 'MANIFEST_INVALID');
  assert.equal(bad({ ...img, config: { ...img.config, digest: 'sha256:zz' } }), 'DIGEST_INVALID');
  assert.equal(bad(img, MEDIA.ociIndex), 'MANIFEST_INVALID', 'Content-Type differs from mediaType');
  assert.equal(bad({ ...img, mediaType: undefined }, 'application/vnd.docker.distribution.manifest.v1+json'), 'MANIFEST_INVALID', 'schema 1 is not taken');
  assert.equal(bad({ ...img, annotations: { a: 1 } }), 'MANIFEST_INVALID');
});

test('access rules: accounts, "*" and anonymous, globs, the catalog; no file means signed-in may do all', () => {
  const r = AccessRules.parse(
    JSON.stringify({
      rules: [
        { account: 'alice', repositories: '*', actions: ['*'] },
        { account: 'bob', repositories: 'team/*', actions: ['pull'] },
        { account: '*', repositories: 'shared', actions: ['pull', 'push'] },
        { account: 'anonymous', repositories: 'public/*', actions: ['pull'] },
      ],
    }),
  );
  assert.deepEqual(r.granted('bob', repoScope('team/app', 'pull', 'push')), ['pull']);
  assert.equal(r.allows('bob', repoScope('teamx', 'pull')), false);
  assert.equal(r.allows('bob', repoScope('shared', 'pull', 'push')), true);
  assert.equal(r.allows('alice', repoScope('any/thing', 'delete')), true);
  assert.equal(r.allows('alice', CATALOG_SCOPE), true);
  assert.equal(r.allows('bob', CATALOG_SCOPE), false);
  assert.equal(r.allows(undefined, repoScope('public/x', 'pull')), true);
  assert.equal(r.allows(undefined, repoScope('shared', 'pull')), false, '"*" is signed-in accounts only');
  const open = AccessRules.allowAuthenticated();
  assert.equal(open.allows('anyone', repoScope('x', 'push')), true);
  assert.equal(open.allows(undefined, repoScope('x', 'pull')), false);
  assert.throws(() => AccessRules.parse('{"rules":[{"account":"a"}]}'));
});
