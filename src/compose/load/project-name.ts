// Project names as compose: names given imperatively (-p, COMPOSE_PROJECT_NAME) must already be
// valid; one from `name:` or from the folder is normalised into one.
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
  return raw
    .toLowerCase()
    .replace(/[^a-z0-9_-]/g, '')
    .replace(/^[_-]+/, '');
}

export interface NameSources {
  flag?: string;
  env: Record<string, string | undefined>;
  /** The last non-empty `name:` of the compose files, interpolated. */
  fromFile?: string;
  workingDir: string;
}

/**
 * -p, then COMPOSE_PROJECT_NAME (both must be valid as given), then the files' `name:`, then the
 * project folder's name (both normalised, as compose does).
 */
export function projectNameOf({ flag, env, fromFile, workingDir }: NameSources): string {
  const explicit = flag || env.COMPOSE_PROJECT_NAME;
  if (explicit) return checkProjectName(explicit);
  const derived = normalizeProjectName(fromFile || basename(workingDir));
  if (!derived) throw new ComposeFileError(`project name must not be empty (derived from ${JSON.stringify(fromFile || workingDir)}); set one with -p or name:`);
  return derived;
}
