import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { splice } from './hijack-stream.js';

/** A connected unix socket whose peer writes `data`, then ends; resolves once `ready` says so. */
async function monitorSocket(data: string, ready: (s: Socket) => boolean): Promise<{ sock: Socket; done: () => void }> {
  const dir = mkdtempSync(join(tmpdir(), 'splice-'));
  const path = join(dir, 's.sock');
  const srv = createServer((peer) => peer.end(data));
  await new Promise<void>((r) => srv.listen(path, r));
  const sock = connect(path);
  sock.end(); // as launchExec for an exec without stdin: our side half-closed at once
  for (const end = Date.now() + 10_000; !ready(sock) && Date.now() < end; ) await new Promise((r) => setTimeout(r, 5));
  assert.ok(ready(sock), 'the monitor socket reached the state the test needs');
  return {
    sock,
    done: () => {
      sock.destroy();
      srv.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Rejects after 10 s: a failing splice must fail the test, never hang the file. */
function within<T>(p: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} within 10 s`)), 10_000);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

/** The client's bytes once it ends, or a failure after 10 s. */
function clientEnd(client: PassThrough): Promise<string> {
  const chunks: Buffer[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the client was never ended')), 10_000);
    client.on('data', (c: Buffer) => chunks.push(c));
    client.on('end', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString());
    });
  });
}

test('a monitor stream that ended and closed before the splice (a silent exec that is over at once) still ends the client', async () => {
  // node:net reads a peer's EOF at once and emits 'end' and 'close' with or without listeners.
  const m = await monitorSocket('', (s) => s.closed);
  assert.equal(m.sock.readableEnded, true);
  const client = new PassThrough();
  const ended = clientEnd(client);
  let exitRecorded = false;
  const beforeEnd = new Promise<void>((r) => setTimeout(r, 20)).then(() => {
    exitRecorded = true;
  });
  try {
    const spliced = splice(client, m.sock, { stdin: false, beforeEnd });
    assert.equal(await ended, '');
    assert.equal(exitRecorded, true, 'the client ends only after beforeEnd settled');
    await within(spliced, 'splice resolves once the monitor is closed');
  } finally {
    m.done();
  }
});

test('output that arrived before the splice reaches the client, then its end', async () => {
  // Buffered bytes hold the 'end' back until they are read: nothing is lost either way.
  const m = await monitorSocket('out\n', (s) => s.readableLength > 0 || s.readableEnded);
  const client = new PassThrough();
  const ended = clientEnd(client);
  try {
    const spliced = splice(client, m.sock, { stdin: false, beforeEnd: Promise.resolve() });
    assert.equal(await ended, 'out\n');
    await within(spliced, 'splice resolves once the monitor is closed');
  } finally {
    m.done();
  }
});
