import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const MODULE = fileURLToPath(new URL('./process-io.js', import.meta.url));

/** Runs `body` in a child node process with process-io imported as `io`; stdout read slowly in small reads. */
function child(body: string): Promise<{ code: number | null; out: string; err: string }> {
  const script = `import(${JSON.stringify(MODULE)}).then(async (io) => { ${body} });`;
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.setEncoding('utf8').on('data', (c: string) => {
      out += c;
      // A slow reader: the child's writes meet a full pipe and must still arrive whole, in order.
      p.stdout.pause();
      setTimeout(() => p.stdout.resume(), 1);
    });
    p.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
    p.on('error', reject);
    p.on('close', (code) => resolve({ code, out, err }));
  });
}

test('text written without the streams arrives whole and in order with what goes through them', async () => {
  const r = await child(`
    const big = 'x'.repeat(300000) + '\\n';
    io.writeOut('one\\n');
    io.writeErr('err one\\n');
    io.writeOut(big);
    const p = io.processIo();
    p.out('two\\n');
    p.stdout.write('three\\n'); // the stream exists from here on
    p.out('four\\n');
    p.err('err two\\n');
    process.exit(0);
  `);
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out, `one\n${'x'.repeat(300000)}\ntwo\nthree\nfour\n`);
  assert.equal(r.err, 'err one\nerr two\n');
});

test('a command that never touches the streams does not build them', async () => {
  const r = await child(`
    const p = io.processIo();
    p.out('table\\n');
    p.err('warning\\n');
    const made = process.moduleLoadList.some((m) => m === 'NativeModule net' || m === 'NativeModule tty' || m === 'NativeModule internal/fs/sync_write_stream');
    io.writeOut(made ? 'streams built\\n' : 'no streams\\n');
  `);
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out, 'table\nno streams\n');
  assert.equal(r.err, 'warning\n');
});
