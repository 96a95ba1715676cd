// `berth manifest inspect` against the real docker CLI's `docker manifest inspect`, byte for
// byte, on Berth's registry and on Debian's docker-registry: a Docker schema 2 manifest, an OCI
// index, a Docker manifest list, each plain and -v; a missing tag; and a registry that wants
// Basic auth, with credentials from config.json's auths and from a credential helper.
// Neither CLI goes through a daemon: both ask the registry directly.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { BERTH, run } from '../../support/daemon.js';
import { BerthRegistry } from './berth-registry.js';
import { dockerCliAvailable } from '../../support/docker-cli.js';
import { TestRegistry, fileLayer, pushImage, pushIndex, registryAvailable } from './registry-harness.js';
import { makeTestHelper } from './test-credential-helper.js';

const execFileP = promisify(execFile);
// The docker CLI first on the PATH (28.x here; Debian's 20.10 in /usr/bin prints no "Raw" in -v).
const skip = !dockerCliAvailable() ? 'the docker CLI is not installed' : !registryAvailable() ? 'docker-registry is not installed' : false;

let work: string;
let berthReg: BerthRegistry;
let distReg: TestRegistry;

type Reg = Pick<BerthRegistry, 'pushBlob' | 'pushManifest' | 'host'>;

async function seed(reg: Reg): Promise<void> {
  const l = await fileLayer(work, 'a.txt', `hello <&> ${reg.host}`);
  const single = await pushImage(reg, 'team/app', 'v1', [l]);
  const amd = await pushImage(reg, 'team/app', undefined, [l], { oci: true });
  const arm = await pushImage(reg, 'team/app', undefined, [l], { oci: true, architecture: 'arm64' });
  await pushIndex(reg, 'team/app', 'multi', [
    { image: amd, platform: { os: 'linux', architecture: 'amd64' } },
    { image: arm, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
  ]);
  await pushIndex(reg, 'team/app', 'dlist', [{ image: single, platform: { os: 'linux', architecture: 'amd64' } }], false);
}

function env(cfgDir: string, extraPath?: string): NodeJS.ProcessEnv {
  return { ...process.env, DOCKER_CONFIG: cfgDir, PATH: extraPath ? `${extraPath}:${process.env.PATH}` : process.env.PATH };
}
const berth = (args: string[], e: NodeJS.ProcessEnv) => run(process.execPath, [BERTH, 'manifest', 'inspect', ...args], { env: e });
const docker = (args: string[], e: NodeJS.ProcessEnv) => run('docker', ['manifest', 'inspect', '--insecure', ...args], { env: e });

before(async () => {
  if (skip) return;
  work = await mkdtemp(join(tmpdir(), `berth-manifest-${process.pid}-`));
  berthReg = await BerthRegistry.start();
  distReg = await TestRegistry.start();
  await seed(berthReg);
  await seed(distReg);
});
after(async () => {
  await berthReg?.stop();
  await distReg?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

for (const which of ['berth', 'docker-registry'] as const) {
  test(`manifest inspect prints what docker prints (${which})`, { skip }, async () => {
    const host = which === 'berth' ? berthReg.host : distReg.host;
    const e = env(join(work, 'empty-cfg'));
    for (const tag of ['v1', 'multi', 'dlist']) {
      for (const flags of [[], ['-v']]) {
        const ref = `${host}/team/app:${tag}`;
        const want = await docker([...flags, ref], e);
        assert.equal(want.code, 0, want.stderr);
        const got = await berth([...flags, ref], e);
        assert.equal(got.code, 0, got.stderr);
        assert.equal(got.stdout, want.stdout, `${tag} ${flags.join(' ')}`);
        assert.equal((await berth(['--insecure', ...flags, ref], e)).stdout, want.stdout, '--insecure changes nothing on loopback');
      }
    }
    const single = JSON.parse((await berth([`${host}/team/app:v1`], e)).stdout) as { mediaType: string };
    assert.equal(single.mediaType, 'application/vnd.docker.distribution.manifest.v2+json');
    const verbose = JSON.parse((await berth(['-v', `${host}/team/app:multi`], e)).stdout) as { Descriptor: { platform: { variant?: string } } }[];
    assert.deepEqual(
      verbose.map((m) => m.Descriptor.platform.variant),
      [undefined, 'v8'],
    );

    const missing = await berth([`${host}/team/app:nope`], e);
    const dockerMissing = await docker([`${host}/team/app:nope`], e);
    assert.equal(missing.code, 1);
    assert.equal(missing.stderr, dockerMissing.stderr);
  });
}

test('manifest inspect with Basic auth: anonymous refused, then credentials from auths and from a credential helper', { skip }, async (t) => {
  await writeFile(join(work, 'htpasswd'), (await execFileP('htpasswd', ['-Bbn', 'dave', 'dave-pw'])).stdout);
  const reg = await BerthRegistry.start({ args: ['--htpasswd', join(work, 'htpasswd')], auth: { user: 'dave', password: 'dave-pw' } });
  t.after(() => reg.stop());
  await seed(reg);
  const ref = `${reg.host}/team/app:v1`;

  const anon = await berth([ref], env(join(work, 'anon-cfg')));
  assert.equal(anon.code, 1);
  assert.match(anon.stderr, /no basic auth credentials|unauthorized/);

  const plainCfg = join(work, 'plain-cfg');
  await mkdir(plainCfg, { recursive: true });
  await writeFile(join(plainCfg, 'config.json'), JSON.stringify({ auths: { [reg.host]: { auth: Buffer.from('dave:dave-pw').toString('base64') } } }));
  const plain = await berth([ref], env(plainCfg));
  assert.equal(plain.code, 0, plain.stderr);
  assert.equal(plain.stdout, (await docker([ref], env(plainCfg))).stdout);

  // credHelpers names the helper for this registry; config.json holds no secret.
  const helper = await makeTestHelper(join(work, 'inspect-helper'));
  const helperCfg = join(work, 'helper-cfg');
  await mkdir(helperCfg, { recursive: true });
  await writeFile(join(helperCfg, 'config.json'), JSON.stringify({ credHelpers: { [reg.host]: 'testhelper' } }));
  const none = await berth([ref], env(helperCfg, helper.binDir));
  assert.equal(none.code, 1, 'the helper has nothing yet');
  await writeFile(join(helper.binDir, 'store'), JSON.stringify({ ServerURL: reg.host, Username: 'dave', Secret: 'dave-pw' }) + '\n');
  const viaHelper = await berth(['-v', ref], env(helperCfg, helper.binDir));
  assert.equal(viaHelper.code, 0, viaHelper.stderr);
  assert.equal(viaHelper.stdout, (await docker(['-v', ref], env(helperCfg, helper.binDir))).stdout);
  assert.ok((await helper.verbs()).includes('get'));
});

test('usage errors and --help as docker words them', { skip }, async () => {
  const e = env(join(work, 'empty-cfg'));
  const none = await berth([], e);
  const dockerNone = await run('docker', ['manifest', 'inspect'], { env: e });
  assert.equal(none.code, dockerNone.code);
  assert.equal(none.stderr, dockerNone.stderr.replaceAll('docker', 'berth'));
  const help = await berth(['--help'], e);
  const dockerHelp = await run('docker', ['manifest', 'inspect', '--help'], { env: e });
  // docker's text less its EXPERIMENTAL paragraph (Berth's command is not experimental).
  const want = dockerHelp.stdout.replace(/EXPERIMENTAL:\n(?: {2}.*\n)+\n/, '').replaceAll('docker', 'berth');
  assert.equal(help.stdout, want);
});
