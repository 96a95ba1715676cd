// Reading back container logs: 100 MiB of `yes` output written as 64 KiB chunks (~150 MB of
// json-file lines), `--tail 10` on it, and 1 million tiny entries. Prints medians; no asserts.
// Run: npm run build && node dist/bench/logs-read.js
import { mkdtemp, rm, open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readLogs, type ReadLogsOptions } from '../src/container/logs/log-reader.js';
import { logWriterFormat } from '../src/container/logs/log-format.js';
import { formatRfc3339Nano } from '../src/lib/time-parse.js';

const RUNS = 5;

async function writeLog(path: string, count: number, chunk: (i: number) => string): Promise<number> {
  const fh = await open(path, 'w');
  const t0 = 1795446000_000000000n;
  let batch: string[] = [];
  let size = 0;
  for (let i = 0; i < count; i++) {
    const line = logWriterFormat(chunk(i), 'stdout', formatRfc3339Nano(t0 + BigInt(i) * 1000n));
    batch.push(line);
    size += line.length;
    if (batch.length >= 1000) {
      await fh.write(batch.join(''));
      batch = [];
    }
  }
  await fh.write(batch.join(''));
  await fh.close();
  return size;
}

async function consume(path: string, o: Partial<ReadLogsOptions>): Promise<number> {
  let bytes = 0;
  for await (const c of readLogs(path, { stdout: true, stderr: true, ...o })) bytes += c.data.length;
  return bytes;
}

async function median(label: string, fn: () => Promise<number>): Promise<void> {
  const times: number[] = [];
  let out = 0;
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    out = await fn();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  console.log(`${label.padEnd(36)} median ${times[RUNS >> 1]!.toFixed(1).padStart(8)} ms  (output ${out} bytes)`);
}

const dir = await mkdtemp(join(tmpdir(), `berth-bench-logs-${process.pid}-`));
try {
  const yes = join(dir, 'yes.log');
  const chunk = 'y\n'.repeat(32 * 1024); // 64 KiB
  const size = await writeLog(yes, (100 * 1024 * 1024) / chunk.length, () => chunk);
  console.log(`yes.log: ${(size / 1e6).toFixed(1)} MB, ${(100 * 1024 * 1024) / chunk.length} entries`);
  await median('yes 100 MiB, all', () => consume(yes, {}));
  await median('yes 100 MiB, all, timestamps', () => consume(yes, { timestamps: true }));
  await median('yes 100 MiB, tail 10', () => consume(yes, { tail: 10 }));
  await median('yes 100 MiB, since (last 10%)', () => consume(yes, { since: 1795446000_000000000n + 1440n * 1000n }));

  const tiny = join(dir, 'tiny.log');
  const tsize = await writeLog(tiny, 1_000_000, (i) => `line ${i}\n`);
  console.log(`tiny.log: ${(tsize / 1e6).toFixed(1)} MB, 1000000 entries`);
  await median('1M tiny entries, all', () => consume(tiny, {}));
  await median('1M tiny entries, tail 10', () => consume(tiny, { tail: 10 }));
  await median('1M tiny entries, timestamps', () => consume(tiny, { timestamps: true }));
} finally {
  await rm(dir, { recursive: true, force: true });
}
