// Load, CI mode (issue 13): a few concurrent Engine API clients doing run / exec / logs /
// inspect / ps / rm for ~20 s against a berthd holding 50 containers: no request fails, and
// berthd's open fds, the mounts under its data root and the cgroups under its cgroup parent
// are back to their starting level afterwards. No latency asserts (bench/load.ts measures them,
// with 50 clients and 500 containers).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { useBusyboxDaemon } from '../support/daemon.js';
import { requiresRoot } from '../support/requires-root.js';
import { runLoad, percentile, resources } from './load-driver.js';

const skip = requiresRoot('crun, overlayfs, cgroups');
const d = useBusyboxDaemon({ before, after }, skip);

test('concurrent clients: no errors, and no fd, mount or cgroup left over', { skip, timeout: 240_000 }, async () => {
  const r = await runLoad({
    socket: d.socket,
    measure: () => resources({ pid: d.proc!.pid!, dataRoot: d.dataRoot, cgroupParent: d.cgroupParent }),
    image: 'busybox',
    existing: Number(process.env.BERTH_LOAD_EXISTING ?? 50),
    sleepers: 3,
    clients: Number(process.env.BERTH_LOAD_CLIENTS ?? 8),
    durationMs: Number(process.env.BERTH_LOAD_SECONDS ?? 20) * 1000,
    log: (l) => console.log(l),
  });
  console.log(
    `ps p50 ${percentile(r.psMs, 50).toFixed(1)} ms p99 ${percentile(r.psMs, 99).toFixed(1)} ms; inspect p50 ${percentile(r.inspectMs, 50).toFixed(1)} ms p99 ${percentile(r.inspectMs, 99).toFixed(1)} ms`,
  );
  assert.deepEqual(r.errors, []);
  for (const op of ['run', 'exec', 'logs', 'inspect', 'ps']) assert.ok((r.ops[op] ?? 0) > 0, `no ${op} completed: ${JSON.stringify(r.ops)}`);
  assert.equal(r.containersAfter, r.containersBefore, 'containers made by the load are left');
  const [before, after] = [r.before!, r.after!];
  assert.equal(after.mounts, before.mounts, 'mounts under the data root');
  assert.equal(after.cgroups, before.cgroups, 'cgroups under the cgroup parent');
  // Fewer is no leak (a keep-alive socket or the shim spawner's pipe may close meanwhile).
  assert.ok(after.fds <= before.fds, `berthd's open file descriptors: ${before.fds} before, ${after.fds} after`);
});
