import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { lstatSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeVerified } from './context-store.js';

async function* chunks(b: Buffer): AsyncGenerator<Buffer> {
  yield b;
}

test('writeVerified gives each file its exact mode and time, whatever the umask keeps from open()', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-context-store-'));
  try {
    const data = Buffer.from('content');
    const digest = createHash('sha256').update(data).digest('hex');
    for (const mode of [0o644, 0o755, 0o600, 0o777, 0o666, 0o4755, 0o1777, 0o000]) {
      const p = join(dir, mode.toString(8));
      await writeVerified(p, digest, chunks(data), { mode, mtime: 1_733_370_000_123 });
      const st = lstatSync(p);
      assert.equal(st.mode & 0o7777, mode, `mode ${mode.toString(8)}`);
      assert.equal(Math.round(st.mtimeMs), 1_733_370_000_123);
      assert.deepEqual(readFileSync(p), data);
    }
    await assert.rejects(writeVerified(join(dir, 'bad'), digest, chunks(Buffer.from('other')), { mode: 0o644, mtime: 0 }), {
      kind: 'invalid-argument',
    } as object);
    assert.throws(() => lstatSync(join(dir, 'bad')), { code: 'ENOENT' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
