import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { containerLogs, type LogSource } from './container-logs.js';
import type { ContainerRecord } from '../container-record.js';

const rec = (type: string) => ({ id: 'c1', host: { logConfig: { type, config: {} } } }) as unknown as ContainerRecord;
const stopped: LogSource = { find: (ref) => (ref === 'c1' ? rec('json-file') : undefined), isLive: () => false, whenExiting: () => () => {} };

test('container logs: Docker 400s come before any output; a stopped container is read, not followed', async (t) => {
  assert.throws(() => containerLogs(stopped, rec('json-file'), '/nonexistent', { stdout: false, stderr: false }), /you must choose at least one stream/);
  assert.throws(() => containerLogs(stopped, rec('none'), '/nonexistent', { stdout: true, stderr: true }), /does not support reading/);
  const dir = await mkdtemp(join(tmpdir(), 'berth-logs-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const log = join(dir, 'c1-json.log');
  await writeFile(
    log,
    JSON.stringify({ log: 'out\n', stream: 'stdout', time: '2024-01-01T00:00:00.000000001Z' }) +
      '\n' +
      JSON.stringify({ log: 'err\n', stream: 'stderr', time: '2024-01-01T00:00:00.000000002Z' }) +
      '\n',
  );
  const got: string[] = [];
  for await (const c of containerLogs(stopped, rec('json-file'), log, { stdout: true, stderr: false, follow: true }))
    got.push(`${c.stream}:${c.data.toString()}`);
  assert.deepEqual(got, ['stdout:out\n']);
});
