// Compose up/down/restart for the dashboard. Compose is client code (src/compose, driven by the
// CLI) that talks to the Engine API; the dashboard runs that very code as `berth compose`, a
// child process pointed at berthd's own socket, so a project goes up exactly as it does from a
// shell and every step is an Engine API call. The project's files come from the labels compose
// put on its containers (config_files, working_dir), which the page reads from the Engine and
// sends along; they are checked here (absolute, existing) before anything runs.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { invalidArgument } from '../lib/errors.js';

export const COMPOSE_ACTIONS = ['up', 'down', 'restart', 'stop', 'start'] as const;
export type ComposeAction = (typeof COMPOSE_ACTIONS)[number];

export interface ComposeRequest {
  project: string;
  action: string;
  /** com.docker.compose.project.config_files, split on commas. */
  configFiles?: string[];
  /** com.docker.compose.project.working_dir. */
  workingDir?: string;
}

/** Compose's rule for project names (lowercase letters, digits, dashes and underscores). */
const PROJECT_NAME = /^[a-z0-9][a-z0-9_-]*$/;

/**
 * The `berth compose` arguments for a request (pure). `up` needs the project's files; the others
 * work from the project's name alone (compose finds the containers by label), and take the files
 * when they are there so the model's stop timeouts and service order apply.
 */
export function composeArgs(r: ComposeRequest, fileExists: (p: string) => boolean = existsSync): string[] {
  if (!(COMPOSE_ACTIONS as readonly string[]).includes(r.action)) throw invalidArgument(`unknown compose action ${JSON.stringify(r.action)}`);
  if (!PROJECT_NAME.test(r.project)) throw invalidArgument(`invalid compose project name ${JSON.stringify(r.project)}`);
  const files = (r.configFiles ?? []).filter(Boolean);
  for (const f of files) if (!isAbsolute(f)) throw invalidArgument(`compose file ${JSON.stringify(f)} is not an absolute path`);
  if (r.workingDir !== undefined && r.workingDir !== '' && !isAbsolute(r.workingDir)) throw invalidArgument('the working directory must be an absolute path');
  const present = files.length > 0 && files.every((f) => fileExists(f));
  if (r.action === 'up' && !present) {
    throw invalidArgument(
      files.length
        ? `the project's compose files are gone (${files.join(', ')}): up needs them`
        : 'the project carries no com.docker.compose.project.config_files label: up needs its compose files',
    );
  }
  const args = ['compose', '-p', r.project];
  if (present) {
    for (const f of files) args.push('-f', f);
    if (r.workingDir) args.push('--project-directory', r.workingDir);
  }
  args.push(r.action);
  if (r.action === 'up') args.push('-d');
  return args;
}

export interface ComposeResult {
  ExitCode: number;
  Output: string;
}

/**
 * Runs `berth -H unix://<engineSocket> <args>` and collects its output (stdout and stderr in the
 * order written). The child gets a small environment: nothing of berthd's own (no DOCKER_HOST,
 * no COMPOSE_* variables) changes what the project means.
 */
export function runBerth(cli: string, engineSocket: string, args: string[], signal: AbortSignal): Promise<ComposeResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, '-H', `unix://${engineSocket}`, ...args], {
      env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', HOME: process.env.HOME ?? '/root', NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
      signal,
    });
    const out: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => out.push(c));
    child.on('error', reject);
    child.on('close', (code) => resolve({ ExitCode: code ?? 1, Output: Buffer.concat(out).toString('utf8') }));
  });
}
