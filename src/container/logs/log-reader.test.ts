import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile, appendFile, truncate } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readLogs, type ReadLogsOptions } from './log-reader.js';
import { logWriterFormat, type LogStream } from './log-format.js';
import { formatRfc3339Nano } from '../../lib/time-parse.js';

const T0 = 1795446000_000000000n; // 2026-11-23T15:00:00Z
const at = (i: number) => formatRfc3339Nano(T0 + BigInt(i) * 1_000_000n);

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), `berth-logs-${process.pid}-`));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

type Entry = [LogStream, string];
const fileOf = (entries: Entry[]) => entries.map(([s, l], i) => logWriterFormat(l, s, at(i))).join('');

async function collect(path: string, o: Partial<ReadLogsOptions> = {}): Promise<Array<[LogStream, string]>> {
  const out: Array<[LogStream, string]> = [];
  for await (const c of readLogs(path, { stdout: true, stderr: true, ...o })) out.push([c.stream, c.data.toString()]);
  return out;
}
const text = (chunks: Array<[LogStream, string]>, s?: LogStream) =>
  chunks
    .filter(([st]) => !s || st === s)
    .map(([, d]) => d)
    .join('');

test('logWriterFormat writes Docker json-file lines', () => {
  assert.equal(
    logWriterFormat(Buffer.from('a "q"\n\tb'), 'stderr', '2026-11-23T15:00:00.123456789Z'),
    '{"log":"a \\"q\\"\\n\\tb","stream":"stderr","time":"2026-11-23T15:00:00.123456789Z"}\n',
  );
});

test('reads chunked entries, filters streams, skips corrupt lines', () =>
  withDir(async (dir) => {
    const p = join(dir, 'c.log');
    const body = fileOf([
      ['stdout', 'one\ntw'],
      ['stderr', 'err1\n'],
      ['stdout', 'o\nthree\n'],
    ]);
    await writeFile(p, 'garbage-line\n' + body + '{"log":"cut mid-wri');
    const all = await collect(p);
    assert.deepEqual(all, [
      ['stdout', 'one\ntw'],
      ['stderr', 'err1\n'],
      ['stdout', 'o\nthree\n'],
    ]);
    assert.equal(text(await collect(p, { stderr: false })), 'one\ntwo\nthree\n');
    assert.equal(text(await collect(p, { stdout: false })), 'err1\n');
    assert.deepEqual(await collect(join(dir, 'missing.log')), []);
  }));

function lastLines(s: string, n: number): string {
  const lines = s.match(/[^\n]*\n|[^\n]+$/g) ?? [];
  return n === 0 ? '' : lines.slice(-n).join('');
}

test('tail counts output lines from the end, across chunk and block boundaries', () =>
  withDir(async (dir) => {
    const p = join(dir, 'c.log');
    // Deterministic pseudo-random chunking of 20k lines, including one huge entry (> read block).
    let seed = 42;
    const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    let all = '';
    for (let i = 0; i < 20000; i++) all += `line ${i} ${'x'.repeat(Math.floor(rnd() * 40))}\n`;
    all += 'BIG' + 'z'.repeat(600_000) + '\n' + 'after big\n' + 'partial-end';
    const entries: Entry[] = [];
    for (let i = 0; i < all.length; ) {
      const n = 1 + Math.floor(rnd() * 300);
      entries.push(['stdout', all.slice(i, i + n)]);
      i += n;
    }
    await writeFile(p, fileOf(entries));
    for (const n of [0, 1, 2, 3, 4, 10, 777, 19999, 20003, 20004, 50000]) {
      assert.equal(text(await collect(p, { tail: n })), lastLines(all, n), `tail ${n}`);
    }
    assert.equal(text(await collect(p, { tail: 'all' })), all);
    assert.equal(text(await collect(p, { tail: -1 })), all);
  }));

test('tail counts lines of both streams together, before the stream filter (as Docker)', () =>
  withDir(async (dir) => {
    const p = join(dir, 'c.log');
    await writeFile(
      p,
      fileOf([
        ['stdout', 'a\nb\n'],
        ['stderr', 'e1\n'],
        ['stdout', 'c\n'],
        ['stderr', 'e2\n'],
      ]),
    );
    assert.deepEqual(
      await collect(p, { tail: 3 }),
      [
        ['stdout', 'b\n'],
        ['stderr', 'e1\n'],
        ['stdout', 'c\n'],
        ['stderr', 'e2\n'],
      ].slice(1),
    );
    assert.deepEqual(await collect(p, { tail: 4 }), [
      ['stdout', 'b\n'],
      ['stderr', 'e1\n'],
      ['stdout', 'c\n'],
      ['stderr', 'e2\n'],
    ]);
    assert.deepEqual(await collect(p, { tail: 3, stderr: false }), [['stdout', 'c\n']]);
  }));

test('timestamps prefix each line once, per stream across chunk boundaries', () =>
  withDir(async (dir) => {
    const p = join(dir, 'c.log');
    await writeFile(
      p,
      fileOf([
        ['stdout', 'a1\na'],
        ['stderr', 'e\n'],
        ['stdout', '2\nb\n'],
        ['stdout', '\n'],
      ]),
    );
    const got = await collect(p, { timestamps: true });
    assert.deepEqual(got, [
      ['stdout', `${at(0)} a1\n${at(0)} a`],
      ['stderr', `${at(1)} e\n`],
      ['stdout', `2\n${at(2)} b\n${at(3)} \n`],
    ]);
    // Times written without 9 digits (Go trims zeros) are printed in the fixed form.
    const q = join(dir, 'go.log');
    await writeFile(q, logWriterFormat('x\n', 'stdout', '2026-11-23T15:00:00.5Z'));
    assert.equal(text(await collect(q, { timestamps: true })), '2026-11-23T15:00:00.500000000Z x\n');
  }));

test('since and until filter by entry time (both inclusive)', () =>
  withDir(async (dir) => {
    const p = join(dir, 'c.log');
    await writeFile(
      p,
      fileOf([
        ['stdout', '0\n'],
        ['stdout', '1\n'],
        ['stderr', '2\n'],
        ['stdout', '3\n'],
        ['stdout', '4\n'],
      ]),
    );
    assert.equal(text(await collect(p, { since: T0 + 2_000_000n })), '2\n3\n4\n');
    assert.equal(text(await collect(p, { until: T0 + 2_000_000n })), '0\n1\n2\n');
    assert.equal(text(await collect(p, { since: '1795446000.001', until: '1795446000.003' })), '1\n2\n3\n');
    assert.equal(text(await collect(p, { since: 0n, until: 0n })), '0\n1\n2\n3\n4\n');
    assert.equal(text(await collect(p, { tail: 2, since: T0 + 4_000_000n })), '4\n');
  }));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('follow: sees appends, joins a line written in two parts, ends on abort', () =>
  withDir(async (dir) => {
    const p = join(dir, 'c.log');
    await writeFile(
      p,
      fileOf([
        ['stdout', 'old1\n'],
        ['stdout', 'old2\n'],
      ]),
    );
    const ac = new AbortController();
    const got: string[] = [];
    const reading = (async () => {
      for await (const c of readLogs(p, { stdout: true, stderr: true, follow: true, tail: 1, signal: ac.signal, pollMs: 1000 })) got.push(c.data.toString());
    })();
    await sleep(100);
    assert.deepEqual(got, ['old2\n']);
    const line = logWriterFormat('new\n', 'stdout', at(5));
    await appendFile(p, line.slice(0, 10));
    await sleep(100);
    assert.deepEqual(got, ['old2\n']);
    const t = performance.now();
    await appendFile(p, line.slice(10));
    while (got.length < 2 && performance.now() - t < 2000) await sleep(5);
    assert.ok(performance.now() - t < 500, 'fs.watch wakes the reader before the poll interval');
    assert.deepEqual(got, ['old2\n', 'new\n']);
    ac.abort();
    await reading;
  }));

test('follow: isDone drains and ends; a truncated file restarts from its start', () =>
  withDir(async (dir) => {
    const p = join(dir, 'c.log');
    let stopped = false;
    const got: string[] = [];
    const reading = (async () => {
      for await (const c of readLogs(p, { stdout: true, stderr: true, follow: true, isDone: () => stopped, pollMs: 50 })) got.push(c.data.toString());
    })();
    await sleep(80); // file does not exist yet
    await writeFile(p, fileOf([['stdout', 'first\n']]));
    while (got.length < 1) await sleep(10);
    await truncate(p, 0);
    await sleep(120);
    await appendFile(p, logWriterFormat('again\n', 'stdout', at(9)));
    await appendFile(p, logWriterFormat('last\n', 'stderr', at(10)) + '{"log":"writer die');
    stopped = true;
    await reading;
    assert.equal(got.join(''), 'first\nagain\nlast\n');
  }));

test('follow: ends when until passes, with no new entries', () =>
  withDir(async (dir) => {
    const p = join(dir, 'c.log');
    await writeFile(p, fileOf([['stdout', 'x\n']]));
    const until = BigInt(Date.now() + 300) * 1_000_000n;
    const t = performance.now();
    const got = await collect(p, { follow: true, until, pollMs: 1000 });
    const took = performance.now() - t;
    assert.deepEqual(got, [['stdout', 'x\n']]);
    assert.ok(took >= 250 && took < 1000, `took ${took}`);
  }));

test('many tiny entries read quickly and batched', () =>
  withDir(async (dir) => {
    const p = join(dir, 'c.log');
    const lines: string[] = [];
    for (let i = 0; i < 200_000; i++) lines.push(logWriterFormat(`${i}\n`, i % 2 ? 'stdout' : 'stdout', at(0)));
    await writeFile(p, lines.join(''));
    let n = 0;
    let bytes = 0;
    for await (const c of readLogs(p, { stdout: true, stderr: true })) {
      n++;
      bytes += c.data.length;
    }
    assert.ok(n < 100, `chunks: ${n}`);
    assert.equal(
      bytes,
      lines.reduce((a, _, i) => a + String(i).length + 1, 0),
    );
  }));

test('follow: breaking out of the loop releases the reader at once', () =>
  withDir(async (dir) => {
    const p = join(dir, 'c.log');
    await writeFile(
      p,
      fileOf([
        ['stdout', 'a\n'],
        ['stdout', 'b\n'],
      ]),
    );
    const t = performance.now();
    for await (const c of readLogs(p, { stdout: true, stderr: true, follow: true, pollMs: 5000 })) {
      assert.equal(c.data.toString(), 'a\nb\n');
      break;
    }
    assert.ok(performance.now() - t < 1000);
  }));

test('a rotated log reads oldest file first; --tail counts back into older files, across multi-line entries', () =>
  withDir(async (dir) => {
    const p = join(dir, 'c.log');
    await writeFile(`${p}.2`, fileOf([['stdout', 'a1\na2\n']]));
    await writeFile(
      `${p}.1`,
      fileOf([
        ['stdout', 'b1\n'],
        ['stderr', 'b2\n'],
      ]),
    );
    await writeFile(p, fileOf([['stdout', 'c1\nc2\n']]));
    assert.equal(text(await collect(p)), 'a1\na2\nb1\nb2\nc1\nc2\n');
    assert.equal(text(await collect(p, { tail: 2 })), 'c1\nc2\n');
    assert.equal(text(await collect(p, { tail: 3 })), 'b2\nc1\nc2\n');
    assert.equal(text(await collect(p, { tail: 5 })), 'a2\nb1\nb2\nc1\nc2\n');
    assert.equal(text(await collect(p, { tail: 100 })), 'a1\na2\nb1\nb2\nc1\nc2\n');
    assert.equal(text(await collect(p, { tail: 0 })), '');
    assert.equal(text(await collect(p, { tail: 3 }), 'stderr'), 'b2\n');
    // An empty current file (just rotated): the tail comes from the older files alone.
    await writeFile(p, '');
    assert.equal(text(await collect(p, { tail: 3 })), 'a2\nb1\nb2\n');
  }));

test('follow: a rotation (and one more in between reads) loses and repeats nothing', () =>
  withDir(async (dir) => {
    const p = join(dir, 'c.log');
    await writeFile(p, fileOf([['stdout', 'one\n']]));
    let stopped = false;
    const got: string[] = [];
    const reading = (async () => {
      for await (const c of readLogs(p, { stdout: true, stderr: true, follow: true, isDone: () => stopped, pollMs: 50 })) got.push(c.data.toString());
    })();
    while (got.length < 1) await sleep(10);
    // Written to the old file after the reader's last read, then rotated twice before it looks
    // again (sync calls: the reader cannot run in between), as berth-shim rotates.
    const { appendFileSync, renameSync, writeFileSync } = await import('node:fs');
    appendFileSync(p, logWriterFormat('two\n', 'stdout', at(1)));
    renameSync(p, `${p}.1`);
    writeFileSync(p, logWriterFormat('three\n', 'stdout', at(2)));
    renameSync(`${p}.1`, `${p}.2`);
    renameSync(p, `${p}.1`);
    writeFileSync(p, logWriterFormat('four\n', 'stdout', at(3)));
    await sleep(150);
    await appendFile(p, logWriterFormat('five\n', 'stdout', at(4)));
    stopped = true;
    await reading;
    assert.equal(got.join(''), 'one\ntwo\nthree\nfour\nfive\n');
  }));
