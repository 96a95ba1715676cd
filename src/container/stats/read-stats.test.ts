// Runs against real cgroups (root, cgroup v1 hybrid host): a child of ours is moved into fresh
// cgroups named for this run, read, then killed and its cgroups removed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, rmdir, writeFile, readFile, mkdtemp, rm, access } from 'node:fs/promises';
import { once } from 'node:events';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { readStats, listCgroupPids } from './read-stats.js';
import { parseNetDev, parseProcStat } from './host-stats.js';
import { parseBlkioV1 } from './cgroup-files.js';

const ROOT = '/sys/fs/cgroup';
const V1 = ['memory', 'cpu', 'cpuacct', 'pids'];
const isV1Host = await access(join(ROOT, 'memory', 'memory.stat')).then(
  () => true,
  () => false,
);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function killAndRemove(child: ChildProcess, dirs: string[]): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
  }
  for (const d of dirs) {
    for (let i = 0; i < 50; i++) {
      try {
        await rmdir(d);
        break;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') break;
        await sleep(20); // the killed task leaves the cgroup asynchronously
      }
    }
  }
}

test('readStats on a real v1 cgroup', { skip: !isV1Host && 'not a cgroup v1 host' }, async () => {
  const rel = `/berth-stats-test-${process.pid}-${Math.random().toString(16).slice(2, 10)}`;
  const dirs = V1.map((c) => join(ROOT, c, rel));
  // A new network namespace with a veth pair: networks must come from the child's netns.
  const child = spawn(
    'unshare',
    ['-n', 'sh', '-c', 'ip link add v0 type veth peer name v1; read go; i=0; while [ $i -lt 30000 ]; do i=$((i+1)); done; echo burned; exec sleep 60'],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  try {
    for (const d of dirs) await mkdir(d);
    await writeFile(join(ROOT, 'memory', rel, 'memory.limit_in_bytes'), String(64 * 1024 * 1024));
    await writeFile(join(ROOT, 'pids', rel, 'pids.max'), '50');
    for (const d of dirs) await writeFile(join(d, 'cgroup.procs'), String(child.pid));
    child.stdin!.write('go\n');
    await once(child.stdout!, 'data'); // "burned": the loop ran inside the cgroup
    const first = await readStats(rel, child.pid!, undefined, { id: 'abc', name: 'web' });
    assert.equal(first.name, '/web');
    assert.equal(first.id, 'abc');
    assert.equal(first.preread, '0001-01-01T00:00:00Z');
    assert.equal(first.precpu_stats.cpu_usage.total_usage, 0);
    assert.ok(first.cpu_stats.cpu_usage.total_usage > 1_000_000, `cpu ${first.cpu_stats.cpu_usage.total_usage}`);
    const percpu = first.cpu_stats.cpu_usage.percpu_usage!;
    assert.equal(
      percpu.reduce((a, b) => a + b, 0),
      first.cpu_stats.cpu_usage.total_usage,
    );
    assert.ok(first.cpu_stats.system_cpu_usage! > first.cpu_stats.cpu_usage.total_usage);
    assert.equal(first.cpu_stats.online_cpus, percpu.length);
    assert.ok(first.memory_stats.usage! > 0);
    assert.equal(first.memory_stats.limit, 64 * 1024 * 1024);
    assert.equal(typeof first.memory_stats.stats!.rss, 'number');
    assert.deepEqual(first.pids_stats, { current: 1, limit: 50 });
    assert.deepEqual(Object.keys(first.networks ?? {}).sort(), ['v0', 'v1']);
    assert.ok(Array.isArray(first.blkio_stats.io_service_bytes_recursive));
    assert.deepEqual(await listCgroupPids(rel), [child.pid]);

    await sleep(20);
    const second = await readStats(rel, child.pid!, first, { hostNetwork: true });
    assert.equal(second.preread, first.read);
    assert.ok(second.read > first.read);
    assert.deepEqual(second.precpu_stats, first.cpu_stats);
    assert.ok(second.cpu_stats.system_cpu_usage! >= first.cpu_stats.system_cpu_usage!);
    assert.equal(second.networks, undefined);
    assert.equal(second.name, '');
  } finally {
    await killAndRemove(child, dirs);
  }
  for (const d of dirs) await assert.rejects(access(d));
});

test('readStats v2 layout: cpu from a real unified cgroup, the rest from a v2-shaped tree', async (t) => {
  const unified = join(ROOT, 'unified');
  if (
    !(await access(join(unified, 'cgroup.procs')).then(
      () => true,
      () => false,
    ))
  )
    return t.skip('no unified mount');
  const rel = `berth-stats-test-${process.pid}-${Math.random().toString(16).slice(2, 10)}`;
  const dir = join(unified, rel);
  const child = spawn('sh', ['-c', 'read go; i=0; while [ $i -lt 30000 ]; do i=$((i+1)); done; echo burned; exec sleep 60'], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  try {
    await mkdir(dir);
    await writeFile(join(dir, 'cgroup.procs'), String(child.pid));
    child.stdin!.write('go\n');
    await once(child.stdout!, 'data');
    const s = await readStats(rel, child.pid!, undefined, { cgroupRoot: unified, layout: 'v2' });
    const usec = Number(/usage_usec (\d+)/.exec(await readFile(join(dir, 'cpu.stat'), 'utf8'))![1]);
    assert.ok(s.cpu_stats.cpu_usage.total_usage > 0);
    assert.ok(s.cpu_stats.cpu_usage.total_usage <= usec * 1000);
    assert.equal(s.cpu_stats.cpu_usage.percpu_usage, undefined);
    assert.deepEqual(await listCgroupPids(rel, { cgroupRoot: unified, layout: 'v2' }), [child.pid]);
  } finally {
    await killAndRemove(child, [dir]);
  }

  const fake = await mkdtemp(join(tmpdir(), `berth-stats-v2-${process.pid}-`));
  try {
    const c = join(fake, 'berth', 'x');
    await mkdir(c, { recursive: true });
    await writeFile(join(c, 'cpu.stat'), 'usage_usec 5\nuser_usec 3\nsystem_usec 2\nnr_periods 7\nnr_throttled 1\nthrottled_usec 4\n');
    await writeFile(join(c, 'memory.current'), '4096\n');
    await writeFile(join(c, 'memory.max'), 'max\n');
    await writeFile(join(c, 'memory.stat'), 'anon 100\nfile 200\ninactive_file 50\n');
    await writeFile(join(c, 'pids.current'), '3\n');
    await writeFile(join(c, 'pids.max'), 'max\n');
    await writeFile(join(c, 'io.stat'), '8:0 rbytes=10 wbytes=20 rios=1 wios=2 dbytes=0 dios=0\n');
    const s = await readStats('/berth/x', 0, undefined, { cgroupRoot: fake, layout: 'v2' });
    assert.deepEqual(s.cpu_stats.cpu_usage, { total_usage: 5000, usage_in_kernelmode: 2000, usage_in_usermode: 3000 });
    assert.deepEqual(s.cpu_stats.throttling_data, { periods: 7, throttled_periods: 1, throttled_time: 4000 });
    assert.equal(s.memory_stats.usage, 4096);
    assert.ok(s.memory_stats.limit! > 4096); // unlimited: the machine's memory
    assert.deepEqual(s.memory_stats.stats, { anon: 100, file: 200, inactive_file: 50 });
    assert.deepEqual(s.pids_stats, { current: 3 });
    assert.deepEqual(s.blkio_stats.io_service_bytes_recursive, [
      { major: 8, minor: 0, op: 'read', value: 10 },
      { major: 8, minor: 0, op: 'write', value: 20 },
    ]);
    assert.equal(s.blkio_stats.io_queue_recursive, null);
  } finally {
    await rm(fake, { recursive: true, force: true });
  }
});

test('parsers: /proc/stat, net/dev, v1 blkio', () => {
  const ps = parseProcStat('cpu  100 1 50 1000 4 0 5 7 0 0\ncpu0 50 0 25 500 2 0 2 3 0 0\ncpu1 50 1 25 500 2 0 3 4 0 0\nintr 1\n');
  assert.deepEqual(ps, { systemCpuUsage: 1160 * 1e7, onlineCpus: 2 });
  const nd = parseNetDev(
    'Inter-|   Receive |  Transmit\n face |bytes packets|bytes\n    lo: 1 1 0 0 0 0 0 0 1 1 0 0 0 0 0 0\n  eth0: 10 2 3 4 0 0 0 0 20 5 6 7 0 0 0 0\n',
  );
  assert.deepEqual(nd, { eth0: { rx_bytes: 10, rx_packets: 2, rx_errors: 3, rx_dropped: 4, tx_bytes: 20, tx_packets: 5, tx_errors: 6, tx_dropped: 7 } });
  assert.deepEqual(parseBlkioV1('8:0 Read 4096\n8:0 Write 0\nTotal 4096\n'), [
    { major: 8, minor: 0, op: 'Read', value: 4096 },
    { major: 8, minor: 0, op: 'Write', value: 0 },
  ]);
});
