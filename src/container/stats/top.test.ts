import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { top, parsePsOutput, validatePsArgs } from './top.js';

test('top keeps only the given pids from host ps, with the command joined', async () => {
  const child = spawn('sleep', ['61.5'], { stdio: 'ignore' });
  try {
    await once(child, 'spawn');
    const r = await top([child.pid!]);
    assert.deepEqual(r.Titles, ['UID', 'PID', 'PPID', 'C', 'STIME', 'TTY', 'TIME', 'CMD']);
    assert.equal(r.Processes.length, 1);
    const row = r.Processes[0]!;
    assert.equal(row.length, 8);
    assert.equal(row[1], String(child.pid));
    assert.equal(row[2], String(process.pid));
    assert.equal(row[7], 'sleep 61.5');

    const custom = await top([child.pid!, process.pid], '-o pid,comm');
    assert.deepEqual(custom.Titles, ['PID', 'COMMAND']);
    assert.deepEqual(custom.Processes.map((p) => p[0]).sort(), [String(child.pid), String(process.pid)].sort());
    // "f" (forest) cannot be combined with -q: the fallback reruns ps unfiltered and filters here.
    const forest = await top([child.pid!], 'axf');
    assert.equal(forest.Processes.length, 1);
    assert.match(forest.Processes[0]!.at(-1)!, /sleep 61\.5/);
  } finally {
    child.kill('SIGKILL');
  }
});

test('parsePsOutput: PID column found from the header, thread rows follow their process', () => {
  const out = 'USER PID %CPU COMMAND\nroot 1 0.0 init\n - - 0.0 -\nroot 42 1.0 sh -c echo  hi\n - - 0.5 -\nroot 43 0 x\n';
  const r = parsePsOutput(out, [42]);
  assert.deepEqual(r, {
    Titles: ['USER', 'PID', '%CPU', 'COMMAND'],
    Processes: [
      ['root', '42', '1.0', 'sh -c echo hi'],
      ['-', '-', '0.5', '-'],
    ],
  });
  assert.throws(() => parsePsOutput('USER CMD\nroot x\n', [1]), /Couldn't find PID field/);
  assert.throws(() => validatePsArgs('-o user=PID'), /specifying "user=PID" is not allowed/);
  validatePsArgs('-o pid=PID');
});
