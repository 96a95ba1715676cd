// ShimMonitor + berth-shim against real crun: logs, attach, exit codes, stdin, tty, exec, and
// survival of the parent's death.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, readdir, readlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { MonitorTestEnv, demuxStdcopy, readAll } from './test-support.js';
import { EXIT_CODE_UNKNOWN, ShimMonitor } from './shim-monitor.js';
import { findShimBinary } from './shim-path.js';

interface LogLine {
  log: string;
  stream: string;
  time: string;
}
async function readLog(path: string): Promise<LogLine[]> {
  const text = await readFile(path, 'utf8');
  assert.ok(text.endsWith('\n'), 'log ends with a newline');
  return text
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l) as LogLine);
}

// The same behaviour with both runtimes: the shim drives either one through the same CLI.
for (const runtimeName of ['crun', 'runc'] as const)
  describe(runtimeName, () => {
    let env: MonitorTestEnv;
    before(async () => {
      env = await MonitorTestEnv.create(runtimeName);
    });
    after(async () => {
      await env?.cleanup();
    });

    test('output goes to the log and to attach clients as stdcopy frames; exit code 3', { timeout: 30_000 }, async () => {
      const c = await env.bundle(['sh', '-c', 'echo out; echo err >&2; exit 3']);
      const { pid, shimPid } = await env.monitor.spawnContainer({ ...c, tty: false, openStdin: false });
      assert.ok(pid > 0 && shimPid > 0 && pid !== shimPid);
      assert.equal((await env.runtime.state(c.id))?.status, 'created');
      const both = await env.monitor.attach(c.stateDir, { stdin: false, stdout: true, stderr: true });
      const onlyOut = await env.monitor.attach(c.stateDir, { stdin: false, stdout: true, stderr: false });
      const [a, b] = [readAll(both), readAll(onlyOut)];
      // The shim runs the runtime's start itself; a second start is refused.
      await env.monitor.startContainer(c.stateDir);
      await assert.rejects(env.monitor.startContainer(c.stateDir), /already started|not running/);
      const got = demuxStdcopy(await a);
      assert.deepEqual([got.stdout, got.stderr], ['out\n', 'err\n']);
      assert.deepEqual(demuxStdcopy(await b), { stdout: 'out\n', stderr: '', frames: 1 });
      const st = await env.monitor.waitExit(c.stateDir);
      assert.equal(st.exitCode, 3);
      assert.match(st.finishedAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
      assert.deepEqual(await env.monitor.readExit(c.stateDir), st);
      // The shim deleted the container from the runtime before it recorded the exit.
      assert.equal(await env.runtime.exists(c.id), false);
      assert.equal(await env.runtime.state(c.id), undefined);
      const log = await readLog(c.logPath);
      assert.deepEqual(log.map((l) => [l.stream, l.log]).sort(), [
        ['stderr', 'err\n'],
        ['stdout', 'out\n'],
      ]);
      assert.match(log[0]!.time, /Z$/);
      // Once the shim is gone, waitExit reads the exit file.
      for (let i = 0; i < 50 && (await env.monitor.isAlive(c.stateDir)); i++) await sleep(20);
      assert.equal(await env.monitor.isAlive(c.stateDir), false);
      assert.equal((await env.monitor.waitExit(c.stateDir)).exitCode, 3);
    });

    test('the runtime runs from the sealed copy the spawner made; neither the container nor an exec holds it', { timeout: 30_000 }, async () => {
      const c = await env.bundle(['sleep', '100']);
      const { pid } = await env.monitor.spawnContainer({ ...c, tty: false, openStdin: false });
      // Created, not started: the container's first process is still the runtime (crun's init,
      // runc's `runc init`), executed from the memfd, not from a copy of its own.
      assert.match(await readlink(`/proc/${pid}/exe`), /^\/memfd:berth-runtime/);
      await env.monitor.startContainer(c.stateDir);
      const sd = env.execStateDir();
      await env.monitor.spawnExec({ containerId: c.id, processJsonPath: await env.processJson(['sleep', '100']), stateDir: sd, tty: false, openStdin: false });
      const exec = await env.monitor.startExec(sd);
      for (const p of [pid, exec.pid]) {
        // runc's `exec --detach` can return (pid file written) while its `runc init` child, run
        // from the memfd, is still to execve the process: wait for that, boundedly.
        let exe = await readlink(`/proc/${p}/exe`);
        for (const end = Date.now() + 10_000; /memfd/.test(exe) && Date.now() < end; exe = await readlink(`/proc/${p}/exe`)) await sleep(20);
        assert.doesNotMatch(exe, /memfd/);
        const fds = await Promise.all((await readdir(`/proc/${p}/fd`)).map((fd) => readlink(`/proc/${p}/fd/${fd}`)));
        assert.equal(fds.filter((l) => l.includes('memfd')).length, 0, `no runtime copy among pid ${p}'s fds: ${fds.join(', ')}`);
      }
      await env.runtime.kill(c.id, 'KILL');
      assert.equal((await env.monitor.waitExit(c.stateDir)).exitCode, 137);
    });

    test('kill -9 gives 137', { timeout: 30_000 }, async () => {
      const c = await env.bundle(['sleep', '100']);
      await env.monitor.spawnContainer({ ...c, tty: false, openStdin: false });
      await env.runtime.start(c.id);
      assert.equal(await env.monitor.isAlive(c.stateDir), true);
      await env.runtime.kill(c.id, 'KILL');
      assert.equal((await env.monitor.waitExit(c.stateDir)).exitCode, 137);
    });

    test('stdin with stdinOnce: cat ends when the client ends its input', { timeout: 30_000 }, async () => {
      const c = await env.bundle(['cat']);
      await env.monitor.spawnContainer({ ...c, tty: false, openStdin: true, stdinOnce: true });
      const s = await env.monitor.attach(c.stateDir, { stdin: true, stdout: true, stderr: true });
      const out = readAll(s);
      await env.runtime.start(c.id);
      s.write('hello\n');
      s.end('world\n');
      assert.equal(demuxStdcopy(await out).stdout, 'hello\nworld\n');
      assert.equal((await env.monitor.waitExit(c.stateDir)).exitCode, 0);
    });

    test('tty: raw output, resize is seen by stty size', { timeout: 30_000 }, async () => {
      const c = await env.bundle(['sh', '-c', 'read x; stty size'], { tty: true });
      await env.monitor.spawnContainer({ ...c, tty: true, openStdin: true });
      const s = await env.monitor.attach(c.stateDir, { stdin: true, stdout: true, stderr: true });
      const out = readAll(s);
      await env.runtime.start(c.id);
      await env.monitor.resize(c.stateDir, 40, 100);
      s.write('\n');
      const text = (await out).toString();
      assert.match(text, /40 100\r\n/);
      assert.equal((await env.monitor.waitExit(c.stateDir)).exitCode, 0);
      const log = await readLog(c.logPath);
      assert.ok(log.every((l) => l.stream === 'stdout'));
      assert.match(log.map((l) => l.log).join(''), /40 100/);
    });

    test('exec: output, exit code, tty, and a missing binary', { timeout: 60_000 }, async () => {
      const c = await env.bundle(['sleep', '100']);
      await env.monitor.spawnContainer({ ...c, tty: false, openStdin: false });
      await env.runtime.start(c.id);

      const sd = env.execStateDir();
      const proc = await env.processJson(['sh', '-c', 'echo exec-out; echo exec-err >&2; exit 5']);
      await env.monitor.spawnExec({ containerId: c.id, processJsonPath: proc, stateDir: sd, tty: false, openStdin: false });
      const s = await env.monitor.attach(sd, { stdin: false, stdout: true, stderr: true });
      const out = readAll(s);
      const { pid } = await env.monitor.startExec(sd);
      assert.ok(pid > 0);
      const got = demuxStdcopy(await out);
      assert.deepEqual([got.stdout, got.stderr], ['exec-out\n', 'exec-err\n']);
      assert.equal((await env.monitor.waitExit(sd)).exitCode, 5);

      const sdt = env.execStateDir(true);
      assert.ok(sdt.length > 120);
      await env.monitor.spawnExec({
        containerId: c.id,
        processJsonPath: await env.processJson(['sh', '-c', 'sleep 0.5; tty; stty size'], true),
        stateDir: sdt,
        tty: true,
        openStdin: false,
      });
      const st = await env.monitor.attach(sdt, { stdin: false, stdout: true, stderr: false });
      const outT = readAll(st);
      await env.monitor.startExec(sdt);
      await env.monitor.resize(sdt, 30, 90);
      assert.match((await outT).toString(), /^\/dev\/pts\/\d+\r\n30 90\r\n$/);
      assert.equal((await env.monitor.waitExit(sdt)).exitCode, 0);

      const sdm = env.execStateDir();
      await env.monitor.spawnExec({
        containerId: c.id,
        processJsonPath: await env.processJson(['no-such-binary']),
        stateDir: sdm,
        tty: false,
        openStdin: false,
      });
      await assert.rejects(env.monitor.startExec(sdm), /no-such-binary/);
      assert.equal((await env.monitor.waitExit(sdm)).exitCode, 127);
    });

    test('exec launched in one step: the wait, attach and start together; the spawner detached the shim without a second fork', {
      timeout: 60_000,
    }, async () => {
      const c = await env.bundle(['sleep', '100']);
      await env.monitor.spawnContainer({ ...c, tty: false, openStdin: false });
      await env.runtime.start(c.id);

      const sd = env.execStateDir(true); // a deep dir: the three connections go through one dir fd
      const proc = await env.processJson(['sh', '-c', 'echo exec-out; echo exec-err >&2; exit 5']);
      const { shimPid } = await env.monitor.spawnExec({ containerId: c.id, processJsonPath: proc, stateDir: sd, tty: false, openStdin: false });
      // The shim is the spawner's own child (no detaching fork of its own) and leads its own session.
      const stat = (await readFile(`/proc/${shimPid}/stat`, 'utf8')).replace(/^.*\) /, '').split(' ');
      const [ppid, sid] = [Number(stat[1]), Number(stat[3])];
      assert.equal(sid, shimPid, 'the shim leads its own session');
      assert.match(await readFile(`/proc/${ppid}/cmdline`, 'utf8'), /berth-shim\0--spawner/, 'the shim is the spawner child');
      const launched = await env.monitor.launchExec(sd, { stdin: false, stdout: true, stderr: true });
      assert.ok(launched.pid > 0);
      const got = demuxStdcopy(await readAll(launched.stream!));
      assert.deepEqual([got.stdout, got.stderr], ['exec-out\n', 'exec-err\n']);
      assert.equal((await launched.exited).exitCode, 5);

      // Detached (no attach): the exit still comes through the wait opened with the start.
      const sdd = env.execStateDir();
      await env.monitor.spawnExec({
        containerId: c.id,
        processJsonPath: await env.processJson(['sh', '-c', 'exit 3']),
        stateDir: sdd,
        tty: false,
        openStdin: false,
      });
      const detached = await env.monitor.launchExec(sdd);
      assert.equal(detached.stream, undefined);
      assert.equal((await detached.exited).exitCode, 3);

      // A launch the runtime refuses rejects with its error; the exit wait reports 127.
      const sdm = env.execStateDir();
      await env.monitor.spawnExec({
        containerId: c.id,
        processJsonPath: await env.processJson(['no-such-binary']),
        stateDir: sdm,
        tty: false,
        openStdin: false,
      });
      await assert.rejects(env.monitor.launchExec(sdm, { stdin: false, stdout: true, stderr: true }), /no-such-binary/);
      assert.equal((await env.monitor.waitExit(sdm)).exitCode, 127);

      // removeStateDirAtExit: the status comes through the wait opened with the start; the shim
      // leaves no directory (nor exit file) behind.
      const sdr = env.execStateDir(true);
      const procR = join(sdr, 'process.json');
      await writeFile(procR, await readFile(await env.processJson(['sh', '-c', 'echo bye; exit 6'])));
      await env.monitor.spawnExec({ containerId: c.id, processJsonPath: procR, stateDir: sdr, tty: false, openStdin: false, removeStateDirAtExit: true });
      const r = await env.monitor.launchExec(sdr, { stdin: false, stdout: true, stderr: true });
      assert.deepEqual(demuxStdcopy(await readAll(r.stream!)), { stdout: 'bye\n', stderr: '', frames: 1 });
      assert.equal((await r.exited).exitCode, 6);
      let left = true;
      for (const end = Date.now() + 10_000; left && Date.now() < end; await sleep(20)) left = existsSync(sdr);
      assert.equal(left, false, `the shim removed ${sdr}`);
    });

    test('an exec shim spawned ahead of its start ends by itself when no start comes within --start-timeout-ms', { timeout: 60_000 }, async () => {
      const c = await env.bundle(['sleep', '100']);
      await env.monitor.spawnContainer({ ...c, tty: false, openStdin: false });
      await env.runtime.start(c.id);
      // Generous against a loaded machine: each client below connects within it.
      const startTimeoutMs = 3000;
      const spawn = async (args: string[]) => {
        const sd = env.execStateDir();
        const proc = join(sd, 'process.json');
        await writeFile(proc, await readFile(await env.processJson(args)));
        const { shimPid } = await env.monitor.spawnExec({
          containerId: c.id,
          processJsonPath: proc,
          stateDir: sd,
          tty: false,
          openStdin: false,
          removeStateDirAtExit: true,
          startTimeoutMs,
        });
        return { sd, shimPid };
      };
      const idle = await spawn(['true']);
      const idleWait = env.monitor.waitExit(idle.sd);

      // Started within the timeout: runs as any exec, past the timeout.
      const run = await spawn(['sh', '-c', `sleep ${startTimeoutMs / 1000 + 0.5}; echo late; exit 2`]);
      const k = await env.monitor.launchExec(run.sd, { stdin: false, stdout: true, stderr: true });
      assert.deepEqual(demuxStdcopy(await readAll(k.stream!)), { stdout: 'late\n', stderr: '', frames: 1 }, 'the process outlived the start timeout');
      assert.equal((await k.exited).exitCode, 2);

      // Never started: the shim ends, its waiting client gets 126 (an exec that could not run),
      // and with removeStateDirAtExit nothing is left on disk.
      assert.equal((await idleWait).exitCode, 126);
      let alive = true;
      let left = true;
      for (const end = Date.now() + 10_000; (alive || left) && Date.now() < end; await sleep(20)) {
        alive = (await readFile(`/proc/${idle.shimPid}/cmdline`, 'utf8').catch(() => '')).startsWith('berth-shim');
        left = existsSync(idle.sd);
      }
      assert.equal(alive, false, `shim ${idle.shimPid} ended`);
      assert.equal(left, false, `the shim removed ${idle.sd}`);
    });

    test('a parent killed with SIGKILL leaves the container running; a new monitor gets its status', { timeout: 30_000 }, async () => {
      const c = await env.bundle(['sh', '-c', 'sleep 1; echo bye; exit 7']);
      const params = JSON.stringify({ shim: findShimBinary(), rt: { name: env.runtime.name, path: env.runtime.path, root: env.runtime.root }, c });
      const script = `
      const { ShimMonitor } = await import(${JSON.stringify(new URL('./shim-monitor.js', import.meta.url).href)});
      const { CliRuntime } = await import(${JSON.stringify(new URL('../oci/cli-runtime.js', import.meta.url).href)});
      const p = JSON.parse(process.env.BERTH_TEST_PARAMS);
      const runtime = new CliRuntime(p.rt);
      const m = new ShimMonitor({ shimPath: p.shim, runtime });
      const r = await m.spawnContainer({ ...p.c, tty: false, openStdin: false });
      await runtime.start(p.c.id);
      process.stdout.write(JSON.stringify(r) + '\\n', () => process.kill(process.pid, 'SIGKILL'));`;
      const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
        env: { ...process.env, BERTH_TEST_PARAMS: params },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      const [stdout, [code, signal]] = await Promise.all([
        readAll(child.stdout),
        new Promise<[number | null, string | null]>((r) => child.on('exit', (c2, s2) => r([c2, s2]))),
      ]);
      assert.deepEqual([code, signal], [null, 'SIGKILL']);
      assert.ok((JSON.parse(stdout.toString()) as { pid: number }).pid > 0);
      assert.equal((await env.runtime.state(c.id))?.status, 'running');
      const fresh = new ShimMonitor({ shimPath: findShimBinary(), runtime: env.runtime });
      assert.equal(await fresh.isAlive(c.stateDir), true);
      assert.equal((await fresh.waitExit(c.stateDir)).exitCode, 7);
      assert.deepEqual(
        (await readLog(c.logPath)).map((l) => l.log),
        ['bye\n'],
      );
    });

    test('logs stay valid JSON with binary output and UTF-8 split across reads', { timeout: 30_000 }, async () => {
      const script = String.raw`printf '\377\376 ok \342\202\254 \303 "q" \\ \001\033\t|'; sleep 0.3; printf '\342'; sleep 0.3; printf '\202\254 end\n'`;
      const c = await env.bundle(['sh', '-c', script]);
      await env.monitor.spawnContainer({ ...c, tty: false, openStdin: false });
      await env.runtime.start(c.id);
      assert.equal((await env.monitor.waitExit(c.stateDir)).exitCode, 0);
      const log = await readLog(c.logPath); // throws on invalid JSON
      assert.ok(log.length >= 2);
      assert.equal(log.map((l) => l.log).join(''), '\ufffd\ufffd ok \u20ac \ufffd "q" \\ \u0001\u001b\t|\u20ac end\n');
    });

    test('a vanished attach client never blocks the container; a tty loses no output at exit', { timeout: 60_000 }, async () => {
      const c = await env.bundle(['sh', '-c', 'yes | head -c 20000000']);
      await env.monitor.spawnContainer({ ...c, tty: false, openStdin: false });
      const gone = await env.monitor.attach(c.stateDir, { stdin: false, stdout: true, stderr: true });
      gone.pause(); // never reads...
      const kept = await env.monitor.attach(c.stateDir, { stdin: false, stdout: true, stderr: true });
      await env.runtime.start(c.id);
      await sleep(100);
      gone.destroy(); // ...then disappears with the shim blocked on it
      const got = demuxStdcopy(await readAll(kept));
      assert.equal(got.stdout.length, 20_000_000);
      assert.equal((await env.monitor.waitExit(c.stateDir)).exitCode, 0);
      const log = await readLog(c.logPath);
      assert.equal(
        log.reduce((n, l) => n + l.log.length, 0),
        20_000_000,
      );

      const t = await env.bundle(['sh', '-c', 'head -c 300000 /dev/zero | tr "\\0" x'], { tty: true });
      await env.monitor.spawnContainer({ ...t, tty: true, openStdin: false });
      const s = await env.monitor.attach(t.stateDir, { stdin: false, stdout: true, stderr: false });
      const out = readAll(s);
      await env.runtime.start(t.id);
      assert.equal((await out).length, 300_000);
      assert.equal((await env.monitor.waitExit(t.stateDir)).exitCode, 0);
    });

    test('a shim killed before the process exits: waitExit reports the unknown status', { timeout: 30_000 }, async () => {
      const c = await env.bundle(['sleep', '100']);
      const { shimPid } = await env.monitor.spawnContainer({ ...c, tty: false, openStdin: false });
      await env.runtime.start(c.id);
      process.kill(shimPid, 'SIGKILL'); // our own shim, by pid
      for (let i = 0; i < 50 && (await env.monitor.isAlive(c.stateDir)); i++) await sleep(20);
      await env.runtime.delete(c.id, true);
      assert.equal((await env.monitor.waitExit(c.stateDir)).exitCode, EXIT_CODE_UNKNOWN);
      await assert.rejects(env.monitor.attach(c.stateDir, { stdin: false, stdout: true, stderr: true }), { kind: 'conflict' });
    });
  });
