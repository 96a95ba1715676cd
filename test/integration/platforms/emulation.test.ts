// Foreign architectures: `berth system binfmt` registers qemu-user handlers (F flag) on the real
// kernel, and an arm64 busybox image (Debian's busybox-static:arm64, see
// scripts/fetch-foreign-busybox.sh) runs under emulation with Docker's platform warning and
// errors. One file (multi-platform.ts's registry tests are imported into it), so the host-wide
// binfmt_misc entries change under one test at a time.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { useBusyboxDaemon, expectOk } from '../../support/daemon.js';
import { requiresRoot } from '../../support/requires-root.js';
import { formatPlatform, hostPlatform } from '../../../src/lib/platform.js';
import './multi-platform.js';
import './multi-build.js';

const skip =
  requiresRoot('binfmt_misc, crun') || (existsSync('/usr/bin/qemu-aarch64-static') ? false : 'needs qemu-user-static (apt-get install qemu-user-static)');
const d = useBusyboxDaemon(
  {
    before: (fn) =>
      before(async () => {
        await fn();
        if (!skip) await d.importBusybox('busybox-arm64:latest', 'linux/arm64/v8');
      }),
    after,
  },
  skip,
);

const BINFMT = '/proc/sys/fs/binfmt_misc';
const entries = async () => (existsSync(`${BINFMT}/register`) ? (await readdir(BINFMT)).filter((n) => n !== 'register' && n !== 'status').sort() : []);
// Docker 28's words; the host part carries this CPU's amd64 level (linux/amd64/v3 here).
const HOST = formatPlatform(hostPlatform({ maximum: true }));
const WARNING = `WARNING: The requested image's platform (linux/arm64/v8) does not match the detected host platform (${HOST}) and no specific platform was requested`;

test('system binfmt: --install registers berth-qemu-* with F, twice is a no-op, --uninstall removes only ours', { skip }, async () => {
  const others = (await entries()).filter((n) => !n.startsWith('berth-'));
  const installed = expectOk(await d.berth(['system', 'binfmt', '--install']));
  assert.match(installed.stdout, /^linux\/amd64\s+native/m);
  assert.match(installed.stdout, /^linux\/arm64\s+active\s+\S+\s+\S*F\S*\s+\/usr\/libexec\/qemu-binfmt\/aarch64-binfmt-P$/m);
  const again = expectOk(await d.berth(['system', 'binfmt', '--install']));
  assert.match(again.stderr, /nothing to do/);
  const ours = (await entries()).filter((n) => n.startsWith('berth-'));
  if (!others.includes('qemu-aarch64')) assert.ok(ours.includes('berth-qemu-aarch64'), ours.join(' '));
  expectOk(await d.berth(['system', 'binfmt', '--uninstall']));
  assert.deepEqual(
    (await entries()).filter((n) => n.startsWith('berth-')),
    [],
  );
  assert.deepEqual(
    (await entries()).filter((n) => !n.startsWith('berth-')),
    others,
    "the system's entries stay",
  );
  const shown = expectOk(await d.berth(['system', 'binfmt']));
  assert.match(shown.stdout, others.includes('qemu-aarch64') ? /^linux\/arm64\s+\S+\s+qemu-aarch64 \(system\)/m : /^linux\/arm64\s+absent/m);
});

test('run --platform linux/arm64 runs the arm64 image through qemu (registering the handler lazily)', { skip }, async () => {
  await d.berth(['system', 'binfmt', '--uninstall']);
  const r = expectOk(await d.berth(['run', '--rm', '--platform', 'linux/arm64', 'busybox-arm64', 'uname', '-m']));
  assert.equal(r.stdout, 'aarch64\n');
  assert.equal(r.stderr, '', 'an asked-for platform gets no warning');
  assert.equal(expectOk(await d.berth(['image', 'inspect', '-f', '{{.Os}}/{{.Architecture}}/{{.Variant}}', 'busybox-arm64'])).stdout, 'linux/arm64/v8\n');
});

test("run of a foreign-only image without --platform: Docker's warning, then it runs", { skip }, async () => {
  const r = expectOk(await d.berth(['run', '--rm', 'busybox-arm64', 'uname', '-m']));
  assert.equal(r.stdout, 'aarch64\n');
  assert.equal(r.stderr, `${WARNING}\n`);
  const dk = await d.docker(['run', '--rm', 'busybox-arm64', 'uname', '-m']);
  assert.equal(dk.code, 0, dk.stderr);
  assert.equal(dk.stdout, 'aarch64\n');
  assert.match(dk.stderr, /^WARNING: The requested image's platform \(linux\/arm64\/v8\) does not match the detected host platform/);
  assert.equal((await d.berth(['run', '--rm', 'busybox', 'true'])).stderr, '', 'a native image gets no warning');
});

test("--platform that the local image does not have: Docker's not-found error", { skip }, async () => {
  // As the docker CLI, run first tries to pull the platform it lacks (here from nowhere); --pull never shows the daemon's 404.
  const pulled = await d.berth(['run', '--rm', '--platform', 'linux/amd64', 'busybox-arm64', 'true']);
  assert.equal(pulled.code, 125);
  assert.match(pulled.stderr, /^Unable to find image 'busybox-arm64:latest' locally\n/);
  const r = await d.berth(['run', '--rm', '--pull', 'never', '--platform', 'linux/amd64', 'busybox-arm64', 'true']);
  assert.equal(r.code, 125);
  assert.match(
    r.stderr,
    /Error response from daemon: image with reference busybox-arm64 was found but does not match the specified platform: wanted linux\/amd64, actual: linux\/arm64\/v8/,
  );
  const bad = await d.berth(['create', '--platform', 'linux/arm64/v8/x', 'busybox']);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /unknown operating system or architecture/);
  assert.equal(expectOk(await d.berth(['run', '--rm', '--platform', 'linux/amd64', 'busybox', 'echo', 'ok'])).stdout, 'ok\n');
});

test('an architecture without an emulator: a clear error at start, the container stays created', { skip }, async () => {
  // import --platform records any platform: one no qemu can run.
  const imported = await d.berth(['import', '--platform', 'linux/ia64', `${d.dir}/rootfs.tar`, 'ia64-only']);
  expectOk(imported);
  const id = expectOk(await d.berth(['create', 'ia64-only', 'true'])).stdout.trim();
  const r = await d.berth(['start', id]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /cannot run linux\/ia64 on this linux\/amd64 host: no emulator for ia64 is installed/);
  assert.equal(expectOk(await d.berth(['inspect', '-f', '{{.State.Status}}', id])).stdout, 'created\n');
});

async function context(name: string, dockerfile: string): Promise<string> {
  const dir = join(d.dir, name);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'Dockerfile'), dockerfile);
  return dir;
}

test('build --platform linux/arm64: BuildKit platform args, FROM --platform=$BUILDPLATFORM natively, RUN emulated', { skip }, async () => {
  const dir = await context(
    'cross',
    [
      'FROM --platform=$BUILDPLATFORM busybox AS tool',
      'ARG TARGETPLATFORM',
      'ARG BUILDPLATFORM',
      'RUN echo "tool on $(uname -m) for $TARGETPLATFORM from $BUILDPLATFORM" > /tool.txt',
      'FROM busybox-arm64',
      'ARG TARGETPLATFORM',
      'ARG TARGETOS',
      'ARG TARGETARCH',
      'ARG TARGETVARIANT',
      'ARG BUILDARCH',
      'RUN echo "$TARGETPLATFORM|$TARGETOS|$TARGETARCH|$TARGETVARIANT|$BUILDARCH|$(uname -m)" > /out.txt',
      'COPY --from=tool /tool.txt /tool.txt',
      'CMD cat /out.txt /tool.txt',
      '',
    ].join('\n'),
  );
  expectOk(await d.berth(['build', '--platform', 'linux/arm64/v8', '-t', 'cross:arm64', dir]));
  const out = expectOk(await d.berth(['run', '--rm', '--platform', 'linux/arm64', 'cross:arm64'])).stdout;
  assert.equal(out, 'linux/arm64|linux|arm64||amd64|aarch64\ntool on x86_64 for linux/arm64 from linux/amd64\n');
  assert.equal(expectOk(await d.berth(['image', 'inspect', '-f', '{{.Architecture}}/{{.Variant}}', 'cross:arm64'])).stdout, 'arm64/v8\n');
  // The docker CLI's classic build sends the same ?platform=.
  const dk = await d.docker(['build', '-q', '--platform', 'linux/arm64', '-t', 'cross:docker', dir]);
  assert.equal(dk.code, 0, dk.stderr);
});

test('build --platform: FROM scratch images get the platform, caches are per platform, a wrong-platform base is an error', { skip }, async () => {
  const dir = await context('scratch', 'FROM scratch\nCOPY Dockerfile /\n');
  const arm = expectOk(await d.berth(['build', '-q', '--platform', 'linux/arm/v7', '-t', 'scratch:arm', dir])).stdout.trim();
  const host = expectOk(await d.berth(['build', '-q', '-t', 'scratch:host', dir])).stdout.trim();
  assert.notEqual(arm, host, 'a step on scratch is cached per platform');
  assert.equal(expectOk(await d.berth(['image', 'inspect', '-f', '{{.Architecture}}/{{.Variant}}', 'scratch:arm'])).stdout, 'arm/v7\n');
  assert.equal(expectOk(await d.berth(['image', 'inspect', '-f', '{{.Architecture}}', 'scratch:host'])).stdout, `${hostPlatform().architecture}\n`);

  const native = await context('native', 'FROM busybox\nARG TARGETPLATFORM\nRUN echo $TARGETPLATFORM\n');
  const bad = await d.berth(['build', '--platform', 'linux/arm64', native]);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /image with reference busybox was found but does not match the specified platform: wanted linux\/arm64, actual: linux\/amd64/);
  const plain = expectOk(await d.berth(['build', '--no-cache', native]));
  assert.match(plain.stdout, new RegExp(`\n${formatPlatform(hostPlatform())}\n`), 'TARGETPLATFORM is the host platform by default');
});
