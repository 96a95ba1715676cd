import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { chmodSync, linkSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tar from 'tar-stream';
import { lsetxattr, mkfifo, mkWhiteout } from '../../lib/libc.js';
import { digestLayerDir, packLayerDir } from './pack-layer.js';
import { tarEntryHead, type TarHeaderInput } from './tar-header.js';
import { seededRandom } from '../../../test/support/seeded-random.js';
import { requiresRoot } from '../../../test/support/requires-root.js';

/** What tar-stream's pack writes for `h` before the body (the body itself is never given). */
async function tarStreamHead(h: TarHeaderInput): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c: unknown) => {
    chunks.push(c as Buffer);
  });
  pack.on('error', () => {});
  const sink = pack.entry({ ...h, pax: h.pax ? { ...h.pax } : undefined } as tar.Header);
  sink.on('error', () => {});
  for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
  pack.destroy();
  return Buffer.concat(chunks);
}

test('tar entry heads are the bytes tar-stream writes', async () => {
  const rnd = seededRandom(20261205);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const part = () => pick(['a', 'dir', 'x'.repeat(40), 'y'.repeat(99), 'z'.repeat(120), 'é', '日本', 'sp ace', 'n\u00e9e']);
  const types = ['file', 'link', 'symlink', 'directory', 'fifo'] as const;
  const cases: TarHeaderInput[] = [];
  for (let i = 0; i < 600; i++) {
    const type = pick(types);
    const parts = Array.from({ length: 1 + Math.floor(rnd() * 6) }, part);
    let name = parts.join('/');
    if (type === 'directory') name += '/';
    const h: TarHeaderInput = {
      name,
      type,
      mode: pick([0, 0o644, 0o755, 0o4755, 0o7777, 0o600, 0o1777]),
      uid: pick([0, 1000, 0o7777777, 0o10000000, 2 ** 32 - 2]),
      gid: pick([0, 100, 0o7777777, 0o10000000]),
      mtime: new Date(pick([0, 999, 1_733_370_000_123, 8 ** 11 * 1000 + 5000, 253_402_300_799_000])),
    };
    if (type === 'file') h.size = pick([0, 1, 511, 512, 513, 8 ** 11 - 1, 8 ** 11, 2 ** 40]);
    if (type === 'link' || type === 'symlink') h.linkname = pick(['t', '../up', 'l'.repeat(100), 'l'.repeat(101), 'ü'.repeat(40), 'ü'.repeat(60)]);
    if (type === 'link') h.size = 0;
    if (rnd() < 0.2) h.pax = { 'SCHILY.xattr.user.k': pick(['v', 'value with spaces', 'ü'.repeat(30)]) };
    cases.push(h);
  }
  for (const h of cases) {
    const want = await tarStreamHead(h);
    const got = Buffer.concat(tarEntryHead(h).head);
    assert.ok(got.equals(want), `head of ${JSON.stringify(h)} differs`);
  }
});

test('a layer directory digests to the sha256 of the tar packLayerDir streams', { skip: requiresRoot('whiteouts, trusted xattrs') }, async () => {
  const root = mkdtempSync(join(tmpdir(), 'berth-tar-header-'));
  try {
    const d = (p: string) => join(root, p);
    mkdirSync(d('a/b/c'), { recursive: true });
    writeFileSync(d('a/small'), 'small');
    writeFileSync(d('a/empty'), '');
    writeFileSync(d('a/b/big.bin'), Buffer.alloc(3 * 1024 * 1024 + 17, 7));
    writeFileSync(d('a/b/c/zero-mode'), 'z');
    chmodSync(d('a/b/c/zero-mode'), 0);
    linkSync(d('a/small'), d('a/hardlink'));
    symlinkSync('../a/small', d('a/sym'));
    symlinkSync('t'.repeat(150), d('a/long-target'));
    const deep = ['p'.repeat(60), 'q'.repeat(60), 'r'.repeat(60), 's'.repeat(60)].join('/');
    mkdirSync(d(deep), { recursive: true });
    writeFileSync(d(`${deep}/${'f'.repeat(90)}`), 'deep');
    writeFileSync(d('a/ünïcode'), 'u');
    writeFileSync(d('a/x'.padEnd(200, 'x')), 'long single name');
    mkfifo(d('a/fifo'));
    writeFileSync(d('a/with-xattr'), 'x');
    lsetxattr(d('a/with-xattr'), 'user.note', 'hello');
    mkWhiteout(d('a/b/gone'));
    mkdirSync(d('opaque'));
    lsetxattr(d('opaque'), 'trusted.overlay.opaque', 'y');
    utimesSync(d('a/small'), new Date(1_733_370_000_999), new Date(1_733_370_000_999));
    const hash = createHash('sha256');
    for await (const c of packLayerDir(root)) hash.update(c as Buffer);
    const { diffId, report } = await digestLayerDir(root);
    assert.equal(diffId, `sha256:${hash.digest('hex')}`);
    assert.equal(report.lossy, undefined);
    assert.ok(report.entries > 15);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
