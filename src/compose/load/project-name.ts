// Project names as compose: explicit names (-p, COMPOSE_PROJECT_NAME, `name:`) must already be
// valid; a name derived from the folder is normalised into one.
import { basename } from 'node:path';
import { ComposeFileError } from '../errors.js';

const VALID = /^[a-z0-9][a-z0-9_-]*$/;

export function isValidProjectName(name: string): boolean {
  return VALID.test(name);
}

export function checkProjectName(name: string): string {
  if (!VALID.test(name)) {
    throw new ComposeFileError(
      `invalid project name ${JSON.stringify(name)}: must consist only of lowercase alphanumeric characters, hyphens, and underscores as well as start with a letter or number`,
    );
  }
  return name;
}

/** Lowercase, only [a-z0-9_-], leading '_'/'-' dropped: `My App.v2` -> `myappv2`. */
export function normalizeProjectName(raw: string): string {
  return raw.toLowerCase().replace(/[^a-z0-9_-]/g, '').replace(/^[_-]+/, '');
}

export interface NameSources {
  flag?: string;
  env: Record<string, string | undefined>;
  fromFile?: string;
  workingDir: string;
}

/** -p, then COMPOSE_PROJECT_NAME, then the files' `name:`, then the project folder's name. */
export function projectNameOf({ flag, env, fromFile, workingDir }: NameSources): string {
  const explicit = flag || env.COMPOSE_PROJECT_NAME || fromFile;
  if (explicit) return checkProjectName(explicit);
  const derived = normalizeProjectName(basename(workingDir));
  if (!derived) throw new ComposeFileError(`project name must not be empty (derived from ${JSON.stringify(workingDir)}); set one with -p or name:`);
  return derived;
}
