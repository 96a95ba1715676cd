// `include:` loads other compose applications into this one. Each is read as its own project:
// its paths are relative to its project_directory (default: the folder of its first file), and
// it is interpolated with its own env files (default: `.env` there) under the including
// project's environment, which wins.
import { dirname, resolve } from 'node:path';
import { ComposeFileError } from '../errors.js';
import { readDotenv } from './dotenv.js';
import { loadComposeFile, newFileContext, type FileContext } from './compose-file.js';
import { mergeFiles } from './merge.js';
import { isMap, type RawMap } from './tags.js';

export interface IncludedProject {
  /** The first file of the include entry, for messages. */
  file: string;
  projectDirectory: string;
  dict: RawMap;
}

const list = (v: unknown): string[] => (v === undefined || v === null ? [] : (Array.isArray(v) ? v : [v]).map(String));

export function loadIncludes(entries: unknown[], file: string, ctx: FileContext): IncludedProject[] {
  const base = dirname(file);
  return entries.map((entry, i) => {
    const spec = isMap(entry) ? entry : { path: entry };
    const paths = list(spec.path).map((p) => resolve(base, p));
    if (!paths.length) throw new ComposeFileError(`validating ${file}: include.${i}.path is required`, { file, path: `include.${i}` });
    const projectDirectory = spec.project_directory ? resolve(base, String(spec.project_directory)) : dirname(paths[0]!);
    for (const p of paths) {
      if (ctx.including.includes(p) || p === file) {
        throw new ComposeFileError(`include cycle detected: ${[...ctx.including, file, p].join(' -> ')}`, { file, path: `include.${i}` });
      }
    }
    const envFiles = spec.env_file !== undefined ? list(spec.env_file).map((f) => resolve(base, f)) : [resolve(projectDirectory, '.env')];
    const explicit = spec.env_file !== undefined;
    const fromFiles: Record<string, string> = {};
    for (const f of envFiles)
      Object.assign(
        fromFiles,
        readDotenv(f, (n) => ctx.environment[n] ?? fromFiles[n], explicit),
      );
    const sub = newFileContext({ ...fromFiles, ...ctx.environment }, ctx.parsed, [...ctx.including, file]);
    let dict: RawMap = {};
    for (const p of paths) dict = mergeFiles(dict, loadComposeFile(p, sub));
    return { file: paths[0]!, projectDirectory, dict: withBareValuesResolved(dict, sub.environment) };
  });
}

/**
 * `environment: [VAR]` and bare build args take their value from the environment of the project
 * that declares them: for an included project that includes its own env files, which the
 * including project does not see, so they are resolved here, before the services move over.
 */
function withBareValuesResolved(dict: RawMap, env: Record<string, string>): RawMap {
  if (!isMap(dict.services)) return dict;
  const fill = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map((item) => (typeof item === 'string' && !item.includes('=') && env[item] !== undefined ? `${item}=${env[item]}` : item));
    if (isMap(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, x === null && env[k] !== undefined ? env[k] : x]));
    return v;
  };
  const services: RawMap = {};
  for (const [name, svc] of Object.entries(dict.services)) {
    if (!isMap(svc)) {
      services[name] = svc;
      continue;
    }
    const out: RawMap = { ...svc };
    if (out.environment !== undefined) out.environment = fill(out.environment);
    if (isMap(out.build) && out.build.args !== undefined) out.build = { ...out.build, args: fill(out.build.args) };
    services[name] = out;
  }
  return { ...dict, services };
}
