import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isBerthError } from '../../lib/errors.js';
import { parseGroup, parsePasswd, resolveUser, resolveUserFrom } from './user.js';

const PASSWD = `root:x:0:0:root:/root:/bin/sh
# comment
daemon:x:1:1:daemon:/usr/sbin:/bin/false
nobody:x:65534:65534:nobody:/home:/bin/false
www-data:x:33:33:www-data:/var/www:/bin/false
alice:x:1000:1000::/home/alice:/bin/sh
broken:x::1:::
`;
const GROUP = `root:x:0:
wheel:x:10:root,alice
www-data:x:33:
staff:x:50:alice
alice:x:1000:
nogroup:x:65534:
`;
const pw = parsePasswd(PASSWD);
const gr = parseGroup(GROUP);

test('parsePasswd skips comments and malformed lines', () => {
  assert.deepEqual(
    pw.map((p) => p.name),
    ['root', 'daemon', 'nobody', 'www-data', 'alice'],
  );
  assert.deepEqual(gr.find((g) => g.name === 'wheel')?.members, ['root', 'alice']);
});

test('empty user is root with its passwd home and memberships', () => {
  assert.deepEqual(resolveUserFrom(pw, gr, ''), { uid: 0, gid: 0, additionalGids: [10], home: '/root', name: 'root' });
});

test('name, uid and name:group forms', () => {
  assert.deepEqual(resolveUserFrom(pw, gr, 'www-data'), { uid: 33, gid: 33, additionalGids: [], home: '/var/www', name: 'www-data' });
  assert.deepEqual(resolveUserFrom(pw, gr, '1000'), { uid: 1000, gid: 1000, additionalGids: [10, 50], home: '/home/alice', name: 'alice' });
  // An explicit group replaces the membership-derived supplementary groups.
  assert.deepEqual(resolveUserFrom(pw, gr, 'alice:staff'), { uid: 1000, gid: 50, additionalGids: [], home: '/home/alice', name: 'alice' });
  assert.deepEqual(resolveUserFrom(pw, gr, '33:nogroup').gid, 65534);
  assert.deepEqual(resolveUserFrom(pw, gr, 'nobody:4242').gid, 4242);
});

test('numeric uid without a passwd entry gets gid 0 and HOME=/', () => {
  assert.deepEqual(resolveUserFrom(pw, gr, '4321'), { uid: 4321, gid: 0, additionalGids: [], home: '/', name: '' });
  assert.deepEqual(resolveUserFrom(pw, gr, '4321:4321'), { uid: 4321, gid: 4321, additionalGids: [], home: '/', name: '' });
});

test('unknown names are Docker errors', () => {
  assert.throws(
    () => resolveUserFrom(pw, gr, 'bob'),
    (e) => isBerthError(e, 'invalid-argument') && e.message === 'unable to find user bob: no matching entries in passwd file',
  );
  assert.throws(
    () => resolveUserFrom(pw, gr, 'alice:nogrp'),
    (e) => isBerthError(e, 'invalid-argument') && e.message === 'unable to find group nogrp: no matching entries in group file',
  );
  assert.throws(() => resolveUserFrom(pw, gr, '', ['missing']), /unable to find group missing/);
  assert.throws(() => resolveUserFrom(pw, gr, '99999999999'), /uids and gids must be in range/);
});

test('groupAdd adds by name or number, deduplicated', () => {
  assert.deepEqual(resolveUserFrom(pw, gr, 'alice', ['staff', '777', 'wheel']).additionalGids, [10, 50, 777]);
});

test('resolveUser reads the rootfs files and never follows a symlink out of the rootfs', async () => {
  const dir = await mkdtemp(join(tmpdir(), `berth-user-${process.pid}-`));
  try {
    const root = join(dir, 'root');
    await mkdir(join(root, 'etc'), { recursive: true });
    // A host-side file the rootfs's symlink points at: it must not be read.
    await writeFile(join(dir, 'passwd'), 'evil:x:0:0::/evil:/bin/sh\n');
    await symlink('../../passwd', join(root, 'etc', 'passwd'));
    await writeFile(join(root, 'passwd'), 'inside:x:5:5::/inside:/bin/sh\n');
    // '../../passwd' from /etc, clamped at the root, is /passwd inside the rootfs.
    assert.deepEqual(await resolveUser(root, 'inside'), { uid: 5, gid: 5, additionalGids: [], home: '/inside', name: 'inside' });
    await assert.rejects(resolveUser(root, 'evil'), /unable to find user evil/);
    // No /etc/group at all: numeric users still work.
    assert.equal((await resolveUser(root, '12:34')).gid, 34);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('resolveUser treats a non-regular passwd as empty', async () => {
  const dir = await mkdtemp(join(tmpdir(), `berth-user-${process.pid}-`));
  try {
    await mkdir(join(dir, 'etc', 'passwd'), { recursive: true });
    assert.equal((await resolveUser(dir, '')).home, '/');
    await assert.rejects(resolveUser(dir, 'root'), /unable to find user root/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
