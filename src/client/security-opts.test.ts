import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readSecurityOpts } from './security-opts.js';

test('seccomp=FILE is sent as the compacted JSON of the file; builtin names and other options pass as given', () => {
  const files: Record<string, string> = { '/p.json': '{\n  "defaultAction": "SCMP_ACT_ALLOW"\n}\n', '/bad.json': '{bad' };
  const read = (p: string) => {
    if (!(p in files)) throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
    return files[p]!;
  };
  assert.deepEqual(readSecurityOpts(['seccomp=/p.json', 'seccomp=unconfined', 'no-new-privileges', 'apparmor=x'], read), [
    'seccomp={"defaultAction":"SCMP_ACT_ALLOW"}',
    'seccomp=unconfined',
    'no-new-privileges',
    'apparmor=x',
  ]);
  assert.throws(
    () => readSecurityOpts(['seccomp=/none.json'], read),
    /opening seccomp profile \(\/none\.json\) failed: open \/none\.json: no such file or directory/,
  );
  assert.throws(() => readSecurityOpts(['seccomp=/bad.json'], read), /compacting json for seccomp profile \(\/bad\.json\) failed/);
  assert.throws(() => readSecurityOpts(['apparmor'], read), /Invalid --security-opt: "apparmor"/);
});
