// loadProject: compose files to the canonical Project, every error raised before anything is
// created. The order matters and follows compose: environment (needs the project directory) ->
// file selection (COMPOSE_FILE may come from .env) -> per file: parse, interpolate, validate,
// include, extends -> merge across files -> project name -> normalise -> profiles -> checks.
import { dirname, resolve } from 'node:path';
import type { Project, ServiceConfig } from '../model.js';
import { checkBuildInputs, checkReferences } from './checks.js';
import { checkFileObjectSources } from './file-objects.js';
import { checkConsistency } from './consistency.js';
import { loadComposeFile, newFileContext, parseComposeFile } from './compose-file.js';
import { interpolateTree } from './interpolate.js';
import { selectComposeFiles } from './discover.js';
import { projectEnvironment } from './environment.js';
import { mergeFiles } from './merge.js';
import { activeProfiles, applyProfiles, checkEnabledDependencies, isEnabledBy, withTargetProfiles } from './profiles.js';
import { stringList } from '../normalize/cast.js';
import { projectNameOf } from './project-name.js';
import { isMap, stripTags, type RawMap } from './tags.js';
import type { NormalizeContext } from '../normalize/context.js';
import { normalizeService } from '../normalize/service.js';
import { fileObjectConfig, networkConfig, volumeConfig } from '../normalize/top-level.js';

export interface LoadOptions {
  /** -f files (relative to cwd); default: COMPOSE_FILE, else discovery from cwd upwards. */
  files?: string[];
  /** -p */
  projectName?: string;
  /** --project-directory; default: the folder of the first compose file. */
  projectDirectory?: string;
  /** --profile; default: COMPOSE_PROFILES. */
  profiles?: string[];
  /** --env-file (several, in order); default: `.env` in the project directory. */
  envFiles?: string[];
  /**
   * Services named on the command line. As the compose spec says, a targeted service's profiles
   * join the active ones; its dependencies must then be enabled too (or it is an error).
   */
  services?: string[];
  /** The process environment. */
  env: Record<string, string | undefined>;
  cwd: string;
  /** Skip the on-disk checks of build contexts, Dockerfiles and secret/config sources (e.g. for `config`). */
  skipFileChecks?: boolean;
}

export async function loadProject(options: LoadOptions): Promise<Project> {
  const { env, cwd } = options;
  const explicitDir = options.projectDirectory ? resolve(cwd, options.projectDirectory) : undefined;
  // compose reads `.env` before it looks for files: in --project-directory, else the folder of the
  // first -f file, else the working directory (not the folder a search up the tree finds).
  const envDir = explicitDir ?? (options.files?.length ? dirname(resolve(cwd, options.files[0]!)) : cwd);
  let environment = projectEnvironment({ env, envFiles: options.envFiles, projectDirectory: envDir, cwd });
  const configFiles = selectComposeFiles({ files: options.files, env: environment, cwd, searchFrom: explicitDir ?? cwd });
  const workingDir = explicitDir ?? dirname(configFiles[0]!);

  // The name comes before interpolation: files may use ${COMPOSE_PROJECT_NAME}.
  const parsed = new Map<string, unknown[]>();
  const name = projectNameOf({ flag: options.projectName, env: environment, fromFile: nameInFiles(configFiles, parsed, environment), workingDir });
  environment = { ...environment, COMPOSE_PROJECT_NAME: name };

  const ctx = newFileContext(environment, parsed);
  let dict: RawMap = {};
  for (const file of configFiles) dict = mergeFiles(dict, loadComposeFile(file, ctx));
  const model = stripTags(dict) as RawMap;

  const nctx: NormalizeContext = { projectName: name, workingDir, environment, file: configFiles[0]!, home: env.HOME };

  // Profiles first: services they leave out are normalised leniently (their files are not read).
  const rawServices = Object.fromEntries(Object.entries(isMap(model.services) ? model.services : {}).map(([k, v]) => [k, isMap(v) ? v : {}]));
  const declared = Object.fromEntries(Object.entries(rawServices).map(([k, v]) => [k, { profiles: stringList(v.profiles) }]));
  const profiles = withTargetProfiles(activeProfiles(options.profiles, environment), declared, options.services ?? []);
  const all: Record<string, ServiceConfig> = {};
  for (const [svc, raw] of Object.entries(rawServices)) all[svc] = normalizeService(nctx, svc, raw, !isEnabledBy(declared[svc]!, profiles));
  const section = <T>(key: string, fn: (k: string, v: unknown) => T): Record<string, T> =>
    Object.fromEntries(Object.entries(isMap(model[key]) ? model[key] : {}).map(([k, v]) => [k, fn(k, v)]));
  const networks = section('networks', (k, v) => networkConfig(nctx, k, v));
  if (!networks.default && Object.values(all).some((s) => s.networks && 'default' in s.networks)) networks.default = networkConfig(nctx, 'default', {});

  let project: Project = {
    name,
    workingDir,
    configFiles,
    ...applyProfiles(all, profiles),
    networks,
    volumes: section('volumes', (k, v) => volumeConfig(nctx, k, v)),
    secrets: section('secrets', (k, v) => fileObjectConfig(nctx, 'secrets', k, v)),
    configs: section('configs', (k, v) => fileObjectConfig(nctx, 'configs', k, v)),
    profiles,
    environment,
  };
  const extensions = Object.fromEntries(Object.entries(model).filter(([k]) => k.startsWith('x-')));
  if (Object.keys(extensions).length) project.extensions = extensions;

  checkReferences(project);
  checkConsistency(project);
  project = checkEnabledDependencies(project);
  if (!options.skipFileChecks) {
    checkBuildInputs(project);
    checkFileObjectSources(project);
  }
  return project;
}

/** The last non-empty top-level `name:` of the compose files, interpolated on its own. */
function nameInFiles(files: string[], parsed: Map<string, unknown[]>, environment: Record<string, string>): string | undefined {
  let name: string | undefined;
  for (const file of files) {
    for (const doc of parseComposeFile(file, parsed)) {
      const n = (doc as RawMap).name;
      if (typeof n !== 'string') continue;
      const value = interpolateTree(n, (v) => environment[v], file, ['name']) as string;
      if (value) name = value;
    }
  }
  return name;
}
