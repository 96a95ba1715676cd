// One compose file from text to a raw mapping ready to merge: parse (all documents, merged),
// interpolate, validate against the schema, then resolve its `extends` and `include`. Values keep
// their `!reset`/`!override` wrappers until every file is merged.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { errnoCode } from '../../lib/errors.js';
import { ComposeFileError } from '../errors.js';
import { interpolateTree, type Lookup } from './interpolate.js';
import { mergeFiles, mergeService, mergeValues } from './merge.js';
import { rebaseFile, rebaseService } from './rebase.js';
import { validateComposeFile } from './schema-validate.js';
import { isMap, stripTags, type RawMap } from './tags.js';
import { parseComposeYaml } from './yaml-file.js';
import { loadIncludes, type IncludedProject } from './include.js';

export interface FileContext {
  lookup: Lookup;
  /** The interpolation environment as a map (included projects start from it). */
  environment: Record<string, string>;
  /** Interpolated and validated files by absolute path (`extends` reads a file often). */
  cache: Map<string, RawMap>;
  /** Parsed YAML documents by absolute path, shared with included projects: parsing is the costly part. */
  parsed: Map<string, unknown[]>;
  /** Files being included, outermost first, to report include cycles. */
  including: string[];
}

export function newFileContext(environment: Record<string, string>, parsed = new Map<string, unknown[]>(), including: string[] = []): FileContext {
  return { environment, lookup: (n) => environment[n], cache: new Map(), parsed, including };
}

/** The YAML documents of a file, parsed once. */
export function parseComposeFile(file: string, parsed: Map<string, unknown[]>): unknown[] {
  let docs = parsed.get(file);
  if (docs) return docs;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const why = errnoCode(e) === 'ENOENT' ? 'no such file or directory' : (e as Error).message;
    throw new ComposeFileError(`open ${file}: ${why}`, { file }, { cause: e });
  }
  docs = parseComposeYaml(text, file).filter((d) => d !== null && d !== undefined);
  for (const doc of docs) if (!isMap(doc)) throw new ComposeFileError(`validating ${file}: top-level object must be a mapping`, { file });
  parsed.set(file, docs);
  return docs;
}

/** Interpolated and schema-checked content of one file (no extends/include applied). */
export function readComposeFile(file: string, ctx: FileContext): RawMap {
  const cached = ctx.cache.get(file);
  if (cached) return cached;
  let dict: RawMap = {};
  for (const doc of parseComposeFile(file, ctx.parsed)) dict = mergeFiles(dict, interpolateTree(doc, ctx.lookup, file) as RawMap);
  // A service written with no body (`nil:`) is an empty service, as compose reads it; whether it
  // is usable (image or build) is checked once everything is merged.
  if (isMap(dict.services)) {
    const services = { ...dict.services };
    for (const [k, v] of Object.entries(services)) if (v === null) services[k] = {};
    dict = { ...dict, services };
  }
  validateComposeFile(stripTags(dict), file);
  ctx.cache.set(file, dict);
  return dict;
}

/** A file with its `include`s loaded and every service's `extends` resolved. */
export function loadComposeFile(file: string, ctx: FileContext): RawMap {
  const dict = { ...readComposeFile(file, ctx) };
  if (isMap(dict.services)) {
    const services: RawMap = {};
    for (const name of Object.keys(dict.services)) services[name] = resolveExtends(name, dict, file, ctx, []);
    dict.services = services;
  }
  if (Array.isArray(dict.include)) {
    const included = loadIncludes(dict.include, file, ctx);
    delete dict.include;
    return combineIncluded(included, dict, file);
  }
  delete dict.include;
  return dict;
}

function resolveExtends(name: string, dict: RawMap, file: string, ctx: FileContext, chain: string[]): RawMap {
  const services = isMap(dict.services) ? dict.services : {};
  const svc = services[name];
  if (!isMap(svc))
    throw new ComposeFileError(`cannot extend service ${JSON.stringify(name)} in ${file}: service not found`, { file, path: `services.${name}` });
  const ext = svc.extends;
  if (ext === undefined || ext === null) return svc;
  const link = `${file}#${name}`;
  if (chain.includes(link)) {
    throw new ComposeFileError(`circular reference with extends: ${[...chain, link].map((l) => l.split('#')[1]).join(' -> ')}`, {
      file,
      path: `services.${name}.extends`,
    });
  }
  const target = typeof ext === 'string' ? { service: ext } : (ext as { service: string; file?: string });
  let base: RawMap;
  if (target.file) {
    const other = resolve(dirname(file), target.file);
    const otherDict = readComposeFile(other, ctx);
    if (!isMap(otherDict.services) || !isMap(otherDict.services[target.service])) {
      throw new ComposeFileError(`cannot extend service ${JSON.stringify(target.service)} in ${other}: service not found`, {
        file,
        path: `services.${name}.extends`,
      });
    }
    base = rebaseService(resolveExtends(target.service, otherDict, other, ctx, [...chain, link]), dirname(other));
  } else {
    if (!isMap(services[target.service])) {
      throw new ComposeFileError(`cannot extend service ${JSON.stringify(target.service)} in ${file}: service not found`, {
        file,
        path: `services.${name}.extends`,
      });
    }
    base = resolveExtends(target.service, dict, file, ctx, [...chain, link]);
  }
  const { extends: _drop, ...own } = svc;
  return mergeService(base, own, name);
}

const SECTIONS = ['services', 'networks', 'volumes', 'secrets', 'configs'];
const SINGULAR: Record<string, string> = { services: 'service', networks: 'network', volumes: 'volume', secrets: 'secret', configs: 'config' };

/**
 * Included resources join the file's own. Two includes defining one resource differently is an
 * error; the including file's own definition of an imported one merges over it (compose-go does so).
 */
function combineIncluded(included: IncludedProject[], local: RawMap, file: string): RawMap {
  const out: RawMap = { ...local };
  for (const section of SECTIONS) {
    const merged: RawMap = {};
    for (const inc of included) {
      const part = rebaseFile(inc.dict, inc.projectDirectory)[section];
      if (!isMap(part)) continue;
      for (const [k, v] of Object.entries(part)) {
        if (k in merged && JSON.stringify(merged[k]) !== JSON.stringify(v)) {
          throw new ComposeFileError(`imported compose file ${inc.file} defines conflicting ${SINGULAR[section]} ${k}`, { file, path: `${section}.${k}` });
        }
        merged[k] = v;
      }
    }
    // The including file may refine an imported resource: its definition merges over it.
    const own = isMap(local[section]) ? local[section] : {};
    for (const [k, v] of Object.entries(own)) merged[k] = k in merged ? mergeValues(merged[k], v, [section, k]) : v;
    if (Object.keys(merged).length || section in local) out[section] = merged;
  }
  return out;
}
