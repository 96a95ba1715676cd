// Runs a docker-py script (Debian's python3-docker 5.0.3) against a test berthd and reads the
// {name, ok, detail} list it prints last: shared by the docker-py test files.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { run, type TestDaemon } from '../support/daemon.js';

// Debian's python3-docker lives under /usr/bin/python3; the first python3 on the PATH is another one.
const PYTHON = '/usr/bin/python3';

/** Why docker-py tests cannot run here, or false. */
export function dockerPyMissing(): string | false {
  return spawnSync(PYTHON, ['-c', 'import docker'], { stdio: 'ignore' }).status === 0
    ? false
    : `python3-docker is not importable from ${PYTHON} (apt-get install python3-docker)`;
}

export interface StepResult {
  name: string;
  ok: boolean;
  detail: string;
}

/** Writes the script to `file`, runs it at `version` against `d` and returns its steps; a script that did not finish fails the test. */
export async function runDockerPy(d: TestDaemon, file: string, script: string, version: string, timeoutMs: number): Promise<StepResult[]> {
  await writeFile(file, script);
  const tag = `${process.pid}${Math.random().toString(36).slice(2, 6)}`;
  const r = await run(PYTHON, [file], { env: { ...process.env, DOCKER_HOST: d.host, BERTH_TAG: tag, DOCKER_PY_VERSION: version }, timeoutMs });
  try {
    return JSON.parse(r.stdout.trim().split('\n').pop() ?? '') as StepResult[];
  } catch {
    assert.fail(`the script did not finish (exit ${r.code})\nstdout: ${r.stdout}\nstderr: ${r.stderr}\ndaemon: ${d.logs.join('').slice(-2000)}`);
  }
}
