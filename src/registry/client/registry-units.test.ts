// Pure parts of the registry client: endpoints, challenges, X-Registry-Auth, manifest
// classification, platform choice, progress texts, error texts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseReference } from '../../lib/reference.js';
import type { ImageIndex } from '../../image/image-config.js';
import { decodeRegistryAuth, parseChallenges } from './auth.js';
import { endpointFor, isInsecureHost, isLoopbackHost } from './endpoint.js';
import { parseDocument, selectPlatform } from './manifest.js';
import { progressBar } from './progress.js';
import { humanSize } from '../../lib/go-units.js';
import { manifestFetchError } from './registry-errors.js';

const D = (c: string) => `sha256:${c.repeat(64)}` as const;

test('endpoints: Docker Hub, loopback (http allowed), insecure list, others https only', () => {
  assert.deepEqual(endpointFor(parseReference('busybox')), {
    domain: 'docker.io',
    host: 'registry-1.docker.io',
    repository: 'library/busybox',
    schemes: ['https'],
    insecure: false,
  });
  assert.equal(endpointFor(parseReference('user/app')).repository, 'user/app');
  const local = endpointFor(parseReference('127.0.0.1:5000/x/y:t'));
  assert.deepEqual([local.host, local.repository, local.schemes], ['127.0.0.1:5000', 'x/y', ['https', 'http']]);
  assert.deepEqual(endpointFor(parseReference('localhost:5000/x')).schemes, ['https', 'http']);
  assert.deepEqual(endpointFor(parseReference('[::1]:5000/x')).schemes, ['https', 'http']);
  assert.deepEqual(endpointFor(parseReference('registry.example.com/x')).schemes, ['https']);
  assert.deepEqual(endpointFor(parseReference('registry.example.com:5000/x'), ['registry.example.com:5000']).schemes, ['https', 'http']);
  assert.ok(isInsecureHost('10.1.2.3:5000', ['10.0.0.0/8']));
  assert.ok(!isInsecureHost('11.1.2.3:5000', ['10.0.0.0/8']));
  assert.ok(isInsecureHost('[fd00::5]:5000', ['fd00::/8']), 'IPv6 CIDRs, as Go parses them');
  assert.ok(!isInsecureHost('10.1.2.3:5000', ['10.0.0.0/33', 'not/a-cidr']));
  assert.ok(isLoopbackHost('127.9.9.9:1') && isLoopbackHost('localhost') && !isLoopbackHost('128.0.0.1') && !isLoopbackHost('localhost.example.com'));
});

test('WWW-Authenticate challenges: Bearer with quoted params, Basic, several at once', () => {
  assert.deepEqual(parseChallenges('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull"'), [
    { scheme: 'bearer', params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/busybox:pull' } },
  ]);
  assert.deepEqual(parseChallenges('Basic realm="Registry Realm"'), [{ scheme: 'basic', params: { realm: 'Registry Realm' } }]);
  assert.deepEqual(parseChallenges(['Basic realm=x', 'Bearer realm="a,b", error="insufficient_scope"']), [
    { scheme: 'basic', params: { realm: 'x' } },
    { scheme: 'bearer', params: { realm: 'a,b', error: 'insufficient_scope' } },
  ]);
  assert.deepEqual(parseChallenges(''), []);
});

test('X-Registry-Auth: base64url and base64 JSON, config.json "auth", garbage is anonymous', () => {
  const enc = (o: unknown, url = true) => Buffer.from(JSON.stringify(o)).toString(url ? 'base64url' : 'base64');
  assert.deepEqual(decodeRegistryAuth(enc({ username: 'alice', password: 'p?>?', serveraddress: 'h' })), { username: 'alice', password: 'p?>?' });
  assert.deepEqual(decodeRegistryAuth(enc({ username: 'alice', password: 'p?>?' }, false)), { username: 'alice', password: 'p?>?' });
  assert.deepEqual(decodeRegistryAuth(enc({ auth: Buffer.from('bob:x:y').toString('base64') })), { username: 'bob', password: 'x:y' });
  assert.deepEqual(decodeRegistryAuth(enc({ registrytoken: 'tok' })), { registryToken: 'tok' });
  // docker's stored login with a token server: "user:" and the identity (refresh) token.
  assert.deepEqual(decodeRegistryAuth(enc({ username: 'carol', password: '', identitytoken: 'a.b.c', serveraddress: 'h' })), {
    username: 'carol',
    identityToken: 'a.b.c',
  });
  assert.deepEqual(decodeRegistryAuth('e30='), {});
  assert.deepEqual(decodeRegistryAuth('!!!not base64'), {});
  assert.deepEqual(decodeRegistryAuth(enc([1, 2])), {});
  assert.deepEqual(decodeRegistryAuth(undefined), {});
});

test('manifest documents: manifest, index, schema 1 and unknown types refused, hostile shapes refused', () => {
  const m = {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: D('a'), size: 2 },
    layers: [],
  };
  assert.equal(parseDocument(Buffer.from(JSON.stringify(m)), undefined).doc.kind, 'manifest');
  const { mediaType, ...noType } = m;
  void mediaType;
  assert.equal(
    parseDocument(Buffer.from(JSON.stringify(noType)), 'application/vnd.docker.distribution.manifest.v2+json').mediaType,
    'application/vnd.docker.distribution.manifest.v2+json',
  );
  const idx = { schemaVersion: 2, manifests: [{ mediaType: m.mediaType, digest: D('b'), size: 10, platform: { os: 'linux', architecture: 'amd64' } }] };
  assert.equal(parseDocument(Buffer.from(JSON.stringify(idx)), 'application/vnd.oci.image.index.v1+json').doc.kind, 'index');
  assert.throws(
    () =>
      parseDocument(Buffer.from(JSON.stringify({ schemaVersion: 1, name: 'x', fsLayers: [] })), 'application/vnd.docker.distribution.manifest.v1+prettyjws'),
    /schema 1 is not supported/,
  );
  assert.throws(() => parseDocument(Buffer.from(JSON.stringify({ ...m, mediaType: 'application/x-helm' })), undefined), /unsupported manifest media type/);
  assert.throws(() => parseDocument(Buffer.from('{"schemaVersion":2,"layers":[{"digest":"sha256:zz"}]'), undefined), /invalid manifest/);
  assert.throws(() => parseDocument(Buffer.from(JSON.stringify({ ...m, layers: [{ mediaType: 'x', digest: D('c'), size: -1 }] })), undefined), /bad size/);
  assert.throws(() => parseDocument(Buffer.from(JSON.stringify({ ...m, config: { ...m.config, size: 2 ** 60 } })), undefined), /bad size/);
  assert.throws(() => parseDocument(Buffer.from('[]'), undefined), /not an object/);
});

test('platform choice: os/arch match, arm64 v8 equals no variant, amd64 ignores v2+ variants, order kept', () => {
  const e = (arch: string, variant?: string, os = 'linux', c = 'a') => ({
    mediaType: 'm',
    digest: D(c),
    size: 1,
    platform: { os, architecture: arch, ...(variant ? { variant } : {}) },
  });
  const idx: ImageIndex = {
    schemaVersion: 2,
    manifests: [
      e('arm', 'v7', 'linux', '1'),
      e('amd64', 'v3', 'linux', '2'),
      e('amd64', undefined, 'linux', '3'),
      e('arm64', undefined, 'linux', '4'),
      e('amd64', undefined, 'windows', '5'),
      e('unknown', undefined, 'unknown', '6'),
    ],
  };
  assert.equal(selectPlatform(idx, { os: 'linux', architecture: 'amd64' })?.digest, D('3'));
  assert.equal(selectPlatform(idx, { os: 'linux', architecture: 'arm64', variant: 'v8' })?.digest, D('4'));
  assert.equal(selectPlatform(idx, { os: 'linux', architecture: 'arm', variant: 'v7' })?.digest, D('1'));
  assert.equal(selectPlatform(idx, { os: 'linux', architecture: 'arm', variant: 'v6' }), undefined);
  assert.equal(selectPlatform(idx, { os: 'windows', architecture: 'amd64' })?.digest, D('5'));
  assert.equal(selectPlatform(idx, { os: 'linux', architecture: 's390x' }), undefined);
  const noPlat: ImageIndex = { schemaVersion: 2, manifests: [{ mediaType: 'm', digest: D('7'), size: 1 }] };
  assert.equal(selectPlatform(noPlat, { os: 'linux', architecture: 'amd64' }), undefined);
});

test('platform choice with an amd64 level: the highest level the CPU runs wins, a higher one never', () => {
  const e = (variant: string | undefined, c: string) => ({
    mediaType: 'm',
    digest: D(c),
    size: 1,
    platform: { os: 'linux', architecture: 'amd64', ...(variant ? { variant } : {}) },
  });
  const idx: ImageIndex = { schemaVersion: 2, manifests: [e(undefined, '1'), e('v2', '2'), e('v4', '4')] };
  assert.equal(selectPlatform(idx, { os: 'linux', architecture: 'amd64', variant: 'v3' })?.digest, D('2'));
  assert.equal(selectPlatform(idx, { os: 'linux', architecture: 'amd64', variant: 'v4' })?.digest, D('4'));
  assert.equal(selectPlatform(idx, { os: 'linux', architecture: 'amd64' })?.digest, D('1'));
  const i386: ImageIndex = { schemaVersion: 2, manifests: [{ mediaType: 'm', digest: D('3'), size: 1, platform: { os: 'linux', architecture: '386' } }] };
  assert.equal(selectPlatform(i386, { os: 'linux', architecture: 'amd64', variant: 'v3' })?.digest, D('3'), 'amd64 runs 386');
});

test('progress texts as Docker renders them', () => {
  assert.equal(humanSize(512), '512B');
  assert.equal(humanSize(32768), '32.77kB');
  assert.equal(humanSize(2_000_000), '2MB');
  assert.equal(humanSize(1_234_567), '1.235MB');
  assert.equal(progressBar(0, 0), '');
  assert.equal(progressBar(500_000, 1_000_000), `[${'='.repeat(25)}>${' '.repeat(25)}]    500kB/1MB`);
  assert.equal(progressBar(1_000_000, 1_000_000), `[${'='.repeat(50)}>] ${'1MB'.padStart(8)}/1MB`);
});

test('manifest fetch errors carry Docker texts and kinds', () => {
  const body = (code: string, message: string) => Buffer.from(JSON.stringify({ errors: [{ code, message }] }));
  const u = 'http://h/v2/x/manifests/t';
  let e = manifestFetchError(404, body('MANIFEST_UNKNOWN', 'manifest unknown'), 'h/x:t', 'h/x', u);
  assert.equal(e.message, 'manifest for h/x:t not found: manifest unknown: manifest unknown');
  assert.equal(e.kind, 'not-found');
  e = manifestFetchError(404, body('NAME_UNKNOWN', 'repository name not known to registry'), 'h/x:t', 'h/x', u);
  assert.equal(e.message, 'repository h/x not found: name unknown: repository name not known to registry');
  e = manifestFetchError(403, body('DENIED', 'requested access to the resource is denied'), 'x:t', 'x', u);
  assert.equal(
    e.message,
    "pull access denied for x, repository does not exist or may require 'docker login': denied: requested access to the resource is denied",
  );
  assert.equal(e.kind, 'not-found');
  e = manifestFetchError(404, Buffer.from('<html>'), 'h/x:t', 'h/x', u);
  assert.equal(e.message, 'manifest for h/x:t not found: manifest unknown: manifest unknown');
  e = manifestFetchError(500, Buffer.from('oops'), 'h/x:t', 'h/x', u);
  assert.equal(e.kind, 'unavailable');
});
