// Which compose files a command reads: `-f` files, else COMPOSE_FILE, else the first folder from
// the working directory upwards holding one of the default names, plus its override file.
import { existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { ComposeFileError } from '../errors.js';

export const DEFAULT_FILE_NAMES = ['compose.yaml', 'compose.yml', 'docker-compose.yml', 'docker-compose.yaml'];
export const OVERRIDE_FILE_NAMES = ['compose.override.yml', 'compose.override.yaml', 'docker-compose.override.yml', 'docker-compose.override.yaml'];

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

/** The default file and its override in `dir`, or undefined when it holds none. */
export function defaultFilesIn(dir: string): string[] | undefined {
  const main = DEFAULT_FILE_NAMES.map((n) => join(dir, n)).find(isFile);
  if (!main) return undefined;
  const override = OVERRIDE_FILE_NAMES.map((n) => join(dir, n)).find(isFile);
  return override ? [main, override] : [main];
}

/** Searches `from` and its parents; the first folder with a compose file wins. */
export function findDefaultFiles(from: string): string[] {
  let dir = resolve(from);
  for (;;) {
    const found = defaultFilesIn(dir);
    if (found) return found;
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  throw new ComposeFileError(`no configuration file provided: not found`);
}

export interface FileSelection {
  files?: string[];
  env: Record<string, string | undefined>;
  cwd: string;
  /** Where the search up the tree starts: --project-directory, else cwd. */
  searchFrom?: string;
}

/** Absolute paths of the compose files to load, in merge order. */
export function selectComposeFiles({ files, env, cwd, searchFrom }: FileSelection): string[] {
  let chosen = files?.length ? files : undefined;
  if (!chosen && env.COMPOSE_FILE) {
    const sep = env.COMPOSE_PATH_SEPARATOR || ':';
    chosen = env.COMPOSE_FILE.split(sep).filter(Boolean);
  }
  if (!chosen) return findDefaultFiles(searchFrom ?? cwd);
  return chosen.map((f) => {
    if (f === '-') throw new ComposeFileError('reading a compose file from stdin is not supported yet');
    const p = resolve(cwd, f);
    if (!existsSync(p)) throw new ComposeFileError(`open ${p}: no such file or directory`, { file: p });
    return p;
  });
}
