// The interpolation environment: `.env` in the project directory (or the --env-file files, or
// COMPOSE_ENV_FILES, in order, instead of it; none with COMPOSE_DISABLE_ENV_FILE) under the
// process environment, which wins.
import { join, resolve } from 'node:path';
import { readDotenv } from './dotenv.js';

export function definedOnly(env: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v;
  return out;
}

export interface EnvironmentSources {
  env: Record<string, string | undefined>;
  /** --env-file values, relative to cwd; each must exist. */
  envFiles?: string[];
  projectDirectory: string;
  cwd: string;
}

export function projectEnvironment({ env, envFiles, projectDirectory, cwd }: EnvironmentSources): Record<string, string> {
  const processEnv = definedOnly(env);
  const fromFiles: Record<string, string> = {};
  const lookup = (n: string) => processEnv[n] ?? fromFiles[n];
  // COMPOSE_ENV_FILES (comma-separated) stands in for --env-file when no flag is given.
  const files = envFiles?.length ? envFiles : (processEnv.COMPOSE_ENV_FILES ?? '').split(',').filter(Boolean);
  if (files.length) for (const f of files) Object.assign(fromFiles, readDotenv(resolve(cwd, f), lookup, true));
  else if (!isTrue(processEnv.COMPOSE_DISABLE_ENV_FILE)) Object.assign(fromFiles, readDotenv(join(projectDirectory, '.env'), lookup, false));
  return { ...fromFiles, ...processEnv };
}

const isTrue = (v: string | undefined) => v !== undefined && ['1', 't', 'true'].includes(v.toLowerCase());
