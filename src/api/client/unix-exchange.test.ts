import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createHash } from 'node:crypto';

const execFileP = promisify(execFile);
const moduleUrl = new URL('./unix-exchange.js', import.meta.url).href;

/** Runs an exchange in a fresh process (the way is chosen once per process), with `env` added. */
async function exchangeIn(env: Record<string, string>, socketPath: string, request: string): Promise<{ kind: string; digest: string }> {
  const script = `
    import { exchange, exchangeKind } from ${JSON.stringify(moduleUrl)};
    const answer = await exchange(${JSON.stringify(socketPath)}, Buffer.from(${JSON.stringify(request)}));
    let refused = '';
    await exchange(${JSON.stringify(`${socketPath}.missing`)}, Buffer.from('x')).catch((e) => (refused = e.code + ' ' + e.syscall));
    const digest = (await import('node:crypto')).createHash('sha256').update(answer).digest('hex');
    process.stdout.write(JSON.stringify({ kind: exchangeKind(), digest, refused }));`;
  const { stdout, stderr } = await execFileP(process.execPath, ['--input-type=module', '-e', script], { env: { ...process.env, ...env } });
  assert.equal(stderr, '', 'no warning printed');
  const r = JSON.parse(stdout);
  assert.equal(r.refused, 'ENOENT connect');
  return r;
}

test("exchange: libuv's pipe through Node's bindings, node:net when asked or when process.binding would warn; both read a large answer whole", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-unix-exchange-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const socketPath = join(dir, 's.sock');
  const big = 'x'.repeat(3 * 1024 * 1024); // many reads
  const server = createServer((s) => {
    let req = '';
    s.on('data', (d) => {
      req += d;
      if (req.endsWith('\n\n')) s.end(`${req.trim()}|${big}|end`);
    });
  });
  await new Promise<void>((r) => server.listen(socketPath, r));
  t.after(() => server.close());
  const want = createHash('sha256').update(`hello|${big}|end`).digest('hex');
  const raw = await exchangeIn({}, socketPath, 'hello\n\n');
  assert.equal(raw.kind, 'bindings');
  assert.equal(raw.digest, want, 'the whole answer, in order');
  const net = await exchangeIn({ BERTH_UNIX_NET: '1' }, socketPath, 'hello\n\n');
  assert.equal(net.kind, 'net');
  assert.equal(net.digest, want);
  const pending = await exchangeIn({ NODE_OPTIONS: '--pending-deprecation' }, socketPath, 'hello\n\n');
  assert.equal(pending.kind, 'net');
  assert.equal(pending.digest, want);
});
