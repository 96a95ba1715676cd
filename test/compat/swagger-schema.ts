// Validates JSON bodies against the Docker Engine API swagger (2.0). Swagger 2.0 is not JSON
// Schema: `$ref: '#/definitions/X'` points into the document, `x-nullable: true` allows null,
// and `example`/`x-go-name`/… are extra keywords. We translate each schema once and hand it to
// ajv with strict mode off, so unknown keywords and formats (int64, dateTime) are ignored.
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type JsonObj = { [k: string]: Json };

const STORE_ID = 'engine-api';

/** Rewrites one swagger schema node (recursively) into JSON Schema draft-07 terms. */
export function translate(node: Json): Json {
  if (Array.isArray(node)) return node.map(translate);
  if (node === null || typeof node !== 'object') return node;
  const out: JsonObj = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === 'example' || k === 'discriminator' || k.startsWith('x-')) continue;
    if (k === '$ref' && typeof v === 'string' && v.startsWith('#/definitions/')) out.$ref = `${STORE_ID}${v}`;
    else if (k === 'type' && v === 'file')
      continue; // binary bodies: no JSON shape
    else if (k === 'properties' && v && typeof v === 'object' && !Array.isArray(v))
      out.properties = Object.fromEntries(Object.entries(v).map(([p, s]) => [p, translate(s)]));
    else out[k] = translate(v);
  }
  if (node['x-nullable'] === true) {
    if (typeof out.$ref === 'string') return { anyOf: [{ $ref: out.$ref }, { type: 'null' }] };
    if (typeof out.type === 'string') out.type = [out.type, 'null'];
    if (Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...out.enum, null];
  }
  return out;
}

export interface SwaggerDoc {
  definitions: Record<string, Json>;
  paths: Record<string, Record<string, { responses?: Record<string, { schema?: Json }> }>>;
}

export class SwaggerValidator {
  private readonly ajv: Ajv;
  private readonly cache = new Map<string, ValidateFunction>();

  /** `nullable` lists nodes (as key paths into the document) to mark x-nullable: where dockerd sends null. */
  constructor(
    readonly doc: SwaggerDoc,
    opts: { nullable?: string[][] } = {},
  ) {
    for (const at of opts.nullable ?? []) {
      let node: unknown = doc;
      for (const k of at) node = node && typeof node === 'object' ? (node as Record<string, unknown>)[k] : undefined;
      if (!node || typeof node !== 'object') throw new Error(`no swagger node at ${at.join('.')}`);
      (node as Record<string, unknown>)['x-nullable'] = true;
    }
    this.ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
    const definitions = Object.fromEntries(Object.entries(doc.definitions).map(([k, v]) => [k, translate(v)]));
    this.ajv.addSchema({ $id: STORE_ID, definitions } as object);
  }

  static load(file: string, opts: { nullable?: string[][] } = {}): SwaggerValidator {
    return new SwaggerValidator(parse(readFileSync(file, 'utf8')) as SwaggerDoc, opts);
  }

  /** The response schema the swagger declares for a path template, method and status. */
  responseSchema(path: string, method: string, status: number): Json | undefined {
    return this.doc.paths[path]?.[method.toLowerCase()]?.responses?.[String(status)]?.schema;
  }

  private compile(key: string, schema: Json): ValidateFunction {
    let v = this.cache.get(key);
    if (!v) {
      v = this.ajv.compile(translate(schema) as object);
      this.cache.set(key, v);
    }
    return v;
  }

  /** Errors (as readable lines) of a body against the declared response; [] when it conforms. */
  validateResponse(path: string, method: string, status: number, body: unknown): string[] {
    const schema = this.responseSchema(path, method, status);
    if (schema === undefined) return [`the swagger declares no ${status} response schema for ${method.toUpperCase()} ${path}`];
    const v = this.compile(`${method} ${path} ${status}`, schema);
    return v(body) ? [] : formatErrors(v.errors, body);
  }

  /** Errors of a body against one definition, e.g. 'ContainerSummary'. */
  validateDefinition(name: string, body: unknown): string[] {
    const v = this.compile(`#${name}`, { $ref: `#/definitions/${name}` });
    return v(body) ? [] : formatErrors(v.errors, body);
  }

  /** Properties a definition declares that the object does not have (Docker omits some; callers decide). */
  missingProperties(name: string, body: Record<string, unknown>): string[] {
    const def = this.doc.definitions[name] as JsonObj | undefined;
    const props = def && typeof def.properties === 'object' && def.properties ? Object.keys(def.properties) : [];
    return props.filter((p) => !(p in body));
  }
}

function formatErrors(errors: ErrorObject[] | null | undefined, body: unknown): string[] {
  // anyOf branches for nullable refs repeat the same complaint; keep each line once.
  const lines = (errors ?? []).map(
    (e) =>
      `${e.instancePath || '/'} ${e.message ?? ''}${e.params && Object.keys(e.params).length ? ` ${JSON.stringify(e.params)}` : ''} (got ${JSON.stringify(valueAt(body, e.instancePath))?.slice(0, 120)})`,
  );
  return [...new Set(lines)];
}

function valueAt(body: unknown, pointer: string): unknown {
  let cur: unknown = body;
  for (const part of pointer.split('/').slice(1)) {
    const key = part.replace(/~1/g, '/').replace(/~0/g, '~');
    cur = cur && typeof cur === 'object' ? (cur as Record<string, unknown>)[key] : undefined;
  }
  return cur;
}

// Where dockerd sends null although the swagger declares a non-nullable type (Go nil slices
// and pointers); the docker CLI and docker-py accept null there, so berthd matches dockerd.
export const DOCKERD_SENDS_NULL: string[][] = [
  // docker inspect shows "Links": null, "Aliases": null, "DNSNames": null for a default endpoint.
  ['definitions', 'EndpointSettings', 'properties', 'Links'],
  ['definitions', 'EndpointSettings', 'properties', 'Aliases'],
  ['definitions', 'EndpointSettings', 'properties', 'DNSNames'],
  // HostConfig: dockerd stores and echoes the client's create request, where the docker CLI sends
  // null for these (Go nil slices); Ulimits is null when a client (docker-py) leaves it out.
  ...['Binds', 'CapAdd', 'CapDrop', 'ExtraHosts', 'GroupAdd', 'SecurityOpt', 'Links', 'VolumesFrom', 'MaskedPaths', 'ReadonlyPaths'].map((k) => [
    'definitions',
    'HostConfig',
    'allOf',
    '1',
    'properties',
    k,
  ]),
  ...['Ulimits', 'DeviceCgroupRules', 'DeviceRequests'].map((k) => ['definitions', 'Resources', 'properties', k]),
  // docker inspect shows "Entrypoint": null and "Volumes": null for a container or a committed
  // image without them.
  ...['ContainerConfig', 'ImageConfig'].flatMap((def) => ['Entrypoint', 'Volumes', 'OnBuild'].map((k) => ['definitions', def, 'properties', k])),
  // docker info shows "Authorization": null without authorization plugins.
  ['definitions', 'PluginsInfo', 'properties', 'Authorization'],
  // ExecInspect.ExitCode is a *int in dockerd: null until the exec has exited.
  ['paths', '/exec/{id}/json', 'get', 'responses', '200', 'schema', 'properties', 'ExitCode'],
  // POST /containers/{id}/wait: dockerd sends "Error": null when the process exited without a wait error.
  ['definitions', 'ContainerWaitResponse', 'properties', 'Error'],
  // IPAM.Options: dockerd's nil map for networks made without IPAM options (`docker network ls` shows "Options": null).
  ['definitions', 'IPAM', 'properties', 'Options'],
  // Prunes that removed nothing: dockerd's nil slices (volumes prune answers [] instead).
  ['paths', '/containers/prune', 'post', 'responses', '200', 'schema', 'properties', 'ContainersDeleted'],
  ['paths', '/images/prune', 'post', 'responses', '200', 'schema', 'properties', 'ImagesDeleted'],
  ['paths', '/networks/prune', 'post', 'responses', '200', 'schema', 'properties', 'NetworksDeleted'],
  ['paths', '/build/prune', 'post', 'responses', '200', 'schema', 'properties', 'CachesDeleted'],
  // GET /containers/{id}/changes writes dockerd's nil slice: null for a container that changed nothing.
  ['paths', '/containers/{id}/changes', 'get', 'responses', '200', 'schema'],
];
