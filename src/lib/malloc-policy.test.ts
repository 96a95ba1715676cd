import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const MODULE = fileURLToPath(new URL('./malloc-policy.js', import.meta.url));

test("glibc takes the daemon's malloc policy (a fixed trim threshold, two arenas)", async () => {
  // In a child: mallopt changes the whole process's allocator, never the test runner's.
  const script = `import(${JSON.stringify(MODULE)}).then((m) => process.stdout.write(String(m.limitMallocRetention())));`;
  const out = await new Promise<{ code: number | null; out: string; err: string }>((resolve, reject) => {
    const p = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let o = '';
    let e = '';
    p.stdout.setEncoding('utf8').on('data', (c: string) => (o += c));
    p.stderr.setEncoding('utf8').on('data', (c: string) => (e += c));
    p.on('error', reject);
    p.on('close', (code) => resolve({ code, out: o, err: e }));
  });
  assert.equal(out.code, 0, out.err);
  assert.equal(out.out, 'true', 'mallopt accepted both settings');
});
