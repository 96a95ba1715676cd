// A hostile-input fuzzer for the Engine API. Requests for every route of Docker's swagger (the
// shared conformance copy) are built from the declared parameters and body schemas, then
// mutated: wrong types, huge numbers and strings, deep nesting, invalid UTF-8, truncated and
// prematurely closed bodies, wrong content types, hostile path parameters and queries, oversized
// headers, and tar bodies whose entries try to escape (../, absolute paths, symlinks out). Each
// path-like string carries a canary token, so a file written outside the data root is found by
// name afterwards. A seeded PRNG makes a run reproducible (the seed is printed with findings).
//
// What counts as a finding: a 500 (bad input is the client's fault: a 4xx, or a 501/503 for
// what Berth does not implement, as dockerd answers swarm routes). Timeouts are counted, not
// findings: streaming routes (events, wait, attach, logs -f) legitimately hold the request.
import { request } from 'node:http';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { seededRandom } from '../support/seeded-random.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Schema = { [k: string]: unknown };
interface Param {
  name: string;
  in: 'path' | 'query' | 'body' | 'header';
  type?: string;
  enum?: unknown[];
  items?: Schema;
  schema?: Schema;
  required?: boolean;
}
interface Op {
  method: string;
  path: string;
  params: Param[];
  consumes: string[];
}

export interface FuzzTargets {
  /** Values for path parameters: real objects of the test daemon (a running container, an image tag, …). */
  container: string;
  image: string;
  network: string;
  volume: string;
}

export interface FuzzOptions {
  swaggerPath: string;
  socket: string;
  seed: number;
  requests: number;
  timeLimitMs: number;
  concurrency: number;
  /** A token put into path-like strings; a file named with it outside the data root is a finding. */
  canary: string;
  targets: FuzzTargets;
  /** Per-request bound (headers must arrive by then; the body is then read for at most as long). */
  requestTimeoutMs?: number;
}

export interface Finding {
  method: string;
  path: string;
  mutation: string;
  status: number;
  response: string;
  body: string;
}

export interface FuzzResult {
  sent: number;
  byStatus: Record<string, number>;
  timeouts: number;
  findings: Finding[];
  routes: number;
}

export function loadOps(swaggerPath: string): { ops: Op[]; definitions: Record<string, Schema>; basePath: string } {
  const doc = parse(readFileSync(swaggerPath, 'utf8')) as {
    basePath?: string;
    definitions: Record<string, Schema>;
    paths: Record<string, Record<string, { parameters?: Param[]; consumes?: string[] }>>;
  };
  const ops: Op[] = [];
  for (const [path, methods] of Object.entries(doc.paths))
    for (const [method, op] of Object.entries(methods)) {
      if (method === 'parameters') continue;
      ops.push({ method: method.toUpperCase(), path, params: op.parameters ?? [], consumes: op.consumes ?? ['application/json'] });
    }
  return { ops, definitions: doc.definitions, basePath: doc.basePath ?? '' };
}

class Gen {
  constructor(
    readonly r: () => number,
    private readonly defs: Record<string, Schema>,
    private readonly canary: string,
  ) {}

  int(n: number): number {
    return Math.floor(this.r() * n);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
  chance(p: number): boolean {
    return this.r() < p;
  }

  /** A string a fuzzer would send: mostly plausible, sometimes hostile; path-like ones carry the canary. */
  str(): string {
    return this.pick([
      () => 'busybox',
      () => `fuzz-${this.int(1e6)}`,
      () => '',
      () => ' ',
      () => `../../../../../../../tmp/${this.canary}`,
      () => `/tmp/${this.canary}/x`,
      () => `/tmp/${this.canary}:/mnt`,
      () => 'a'.repeat(this.pick([256, 4097, 70_000])),
      () => '\u0000nul',
      () => '%s%n%x',
      () => 'ﾟ･✿ヾ╲(｡◕‿◕｡)╱✿･ﾟ \ud800',
      () => '{"a":',
      () => '-1',
      () => '1e309',
      () => 'sha256:' + 'f'.repeat(64),
      () => 'http://127.0.0.1:1/x',
      () => 'localhost:1/fuzz:latest',
    ])();
  }

  /** A value that fits `schema` (shallowly; depth-bounded). */
  value(schema: Schema | undefined, depth = 0): Json {
    if (!schema) return this.str();
    if (typeof schema.$ref === 'string') return this.value(this.defs[schema.$ref.replace('#/definitions/', '')], depth + 1);
    if (Array.isArray(schema.allOf))
      return Object.assign({}, ...schema.allOf.map((s) => this.value(s as Schema, depth + 1)).filter((v) => v && typeof v === 'object'));
    if (Array.isArray(schema.enum) && this.chance(0.8)) return this.pick(schema.enum as Json[]);
    const type = schema.type ?? (schema.properties ? 'object' : 'string');
    if (depth > 6) return null;
    switch (type) {
      case 'object': {
        const out: Record<string, Json> = {};
        const props = Object.entries((schema.properties ?? {}) as Record<string, Schema>);
        for (const [k, s] of props) if (this.chance(0.5)) out[k] = this.value(s, depth + 1);
        if (schema.additionalProperties && this.chance(0.5)) out[this.str().slice(0, 40) || 'k'] = this.value(schema.additionalProperties as Schema, depth + 1);
        return out;
      }
      case 'array':
        return Array.from({ length: this.int(3) }, () => this.value(schema.items as Schema, depth + 1));
      case 'integer':
      case 'number':
        return this.pick([0, 1, -1, 42, 1024, 2 ** 31]);
      case 'boolean':
        return this.chance(0.5);
      default:
        return this.str();
    }
  }

  /** A value of a different type than a node holds (the "wrong types" mutation). */
  wrongType(v: Json): Json {
    const all: Json[] = ['x', 12345, -7.5, true, null, [], {}, ['a', 1, null], { a: { b: [1] } }, 2 ** 64, -(2 ** 63)];
    const t = (x: Json) => (Array.isArray(x) ? 'array' : x === null ? 'null' : typeof x);
    return this.pick(all.filter((x) => t(x) !== t(v)));
  }

  /** Replaces one random node of `v` (the root included) by `fn(node)`. */
  mutateNode(v: Json, fn: (node: Json) => Json): Json {
    const nodes: { parent: Json[] | Record<string, Json> | null; key: string | number }[] = [{ parent: null, key: '' }];
    const walk = (x: Json) => {
      if (Array.isArray(x))
        x.forEach((c, i) => {
          nodes.push({ parent: x, key: i });
          walk(c);
        });
      else if (x && typeof x === 'object')
        for (const [k, c] of Object.entries(x)) {
          nodes.push({ parent: x, key: k });
          walk(c);
        }
    };
    walk(v);
    const n = this.pick(nodes);
    if (!n.parent) return fn(v);
    const p = n.parent as Record<string | number, Json>;
    p[n.key] = fn(p[n.key]!);
    return v;
  }
}

interface Built {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
  /** Send only this many body bytes, then close the connection (a client that goes away). */
  cutAt?: number;
  mutation: string;
}

const INVALID_UTF8 = Buffer.from([0xc3, 0x28, 0xa0, 0xa1, 0xe2, 0x28, 0xa1, 0xf0, 0x28, 0x8c, 0xbc, 0xff, 0xfe]);

/** One ustar header + data: enough to make tars with hostile entry names and links. */
function tarEntry(name: string, data: Buffer, type: '0' | '2' | '5' = '0', link = ''): Buffer {
  const h = Buffer.alloc(512);
  h.write(name.slice(0, 100), 0);
  h.write('0000644\0', 100);
  h.write('0000000\0', 108);
  h.write('0000000\0', 116);
  h.write(data.length.toString(8).padStart(11, '0') + '\0', 124);
  h.write('00000000000\0', 136);
  h.write('        ', 148);
  h.write(type, 156);
  h.write(link.slice(0, 100), 157);
  h.write('ustar\0' + '00', 257);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
  const pad = Buffer.alloc((512 - (data.length % 512)) % 512);
  return Buffer.concat([h, data, pad]);
}

function hostileTar(g: Gen, canary: string): Buffer {
  const entries = g.pick([
    () => [tarEntry(`../../../../../../tmp/${canary}`, Buffer.from('x'))],
    () => [tarEntry(`/tmp/${canary}`, Buffer.from('x'))],
    () => [tarEntry('esc', Buffer.alloc(0), '2', `/tmp`), tarEntry(`esc/${canary}`, Buffer.from('x'))],
    () => [tarEntry('up', Buffer.alloc(0), '2', `../../../../../../../tmp`), tarEntry(`up/${canary}`, Buffer.from('x'))],
    () => [tarEntry('Dockerfile', Buffer.from(`FROM busybox\nCOPY ../../${canary} /\n`))],
    () => [tarEntry('manifest.json', Buffer.from(`[{"Config":"../../../tmp/${canary}","Layers":["/tmp/${canary}"]}]`))],
    () => [tarEntry('big', Buffer.alloc(0)).subarray(0, 300)], // a truncated header
  ])();
  return Buffer.concat([...entries, Buffer.alloc(1024)]);
}

/** Percent-encodes the UTF-8 bytes of s (encodeURIComponent throws on a lone surrogate). */
function enc(s: string): string {
  return [...Buffer.from(s, 'utf8')]
    .map((b) => (/[A-Za-z0-9_.~-]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`))
    .join('');
}

export function buildRequest(g: Gen, op: Op, basePath: string, t: FuzzTargets, canary: string): Built {
  const pathValue = (name: string): string => {
    const real = name === 'id' || name === 'name' ? [t.container, t.image, t.network, t.volume] : [t.container];
    return g.chance(0.7) ? g.pick(real) : g.pick(['nonexistent', `..%2F..%2F..%2Ftmp%2F${canary}`, '%00', '%FF%FE', 'a'.repeat(3000), enc(g.str()), '.', '..']);
  };
  let path = op.path.replace(/\{(\w+)\}/g, (_, n: string) => {
    const v = pathValue(n);
    return /%|^\.+$/.test(v) ? v : enc(v);
  });
  path = (g.chance(0.7) ? basePath : g.pick(['', '/v1.24', '/v1.99', '/v0.1', '/vX'])) + path;
  const query: string[] = [];
  const headers: Record<string, string> = {};
  let body: Buffer | undefined;
  let json: Json | undefined; // the body as a value, when it is JSON
  let mutation = 'valid-ish';
  for (const p of op.params) {
    if (p.in === 'query') {
      if (!p.required && g.chance(0.5)) continue;
      let v: string;
      if (p.type === 'boolean') v = g.pick(['1', '0', 'true', 'maybe', '', '2']);
      else if (p.type === 'integer') v = g.pick(['0', '-1', '10', '99999999999999999999', '1.5', 'NaN', 'x']);
      else if (p.name === 'filters')
        v = g.pick(['{"label":["a"]}', '{"status":["bogus"]}', '{bad', '[]', '{"a":"b"}', '{"dangling":["maybe"]}', '{"until":["x"]}', 'null']);
      else if (p.enum) v = String(g.chance(0.7) ? g.pick(p.enum) : g.str());
      else v = g.str();
      query.push(`${enc(p.name)}=${g.chance(0.05) ? '%FF%FE%80' : enc(v)}`);
    } else if (p.in === 'header') {
      if (g.chance(0.5))
        headers[p.name] = g.pick(['', 'not base64!', Buffer.from('{"username":').toString('base64'), Buffer.from('[1,2]').toString('base64'), 'e30=']);
    } else if (p.in === 'body') {
      const schema = p.schema ?? {};
      const binary = schema.type === 'string' && (schema.format === 'binary' || op.consumes.some((c) => /tar|octet/.test(c)));
      if (binary && !op.consumes.includes('application/json')) {
        body = g.chance(0.5) ? hostileTar(g, canary) : Buffer.from(Array.from({ length: g.int(4096) }, () => g.int(256)));
        headers['Content-Type'] = g.pick([...op.consumes, 'application/json']);
        mutation = 'binary body';
      } else {
        json = g.value(schema);
        body = Buffer.from(JSON.stringify(json));
        headers['Content-Type'] = 'application/json';
      }
    }
  }
  if (query.length) path += `?${query.join('&')}`;
  // One mutation on top of the plausible request.
  const m = g.int(12);
  if (m === 0 && json !== undefined) {
    body = Buffer.from(JSON.stringify(g.mutateNode(json, (n) => g.wrongType(n))));
    mutation = 'wrong type';
  } else if (m === 1 && json !== undefined) {
    body = Buffer.from(
      JSON.stringify(g.mutateNode(json, () => g.pick<Json>([1e308, -1e308, 2 ** 53 + 1, -(2 ** 63), 'x'.repeat(1 << 20), Array(20_000).fill(1)]))),
    );
    mutation = 'huge value';
  } else if (m === 2) {
    const depth = g.pick([64, 1000, 100_000]);
    body = Buffer.from(g.chance(0.5) ? '['.repeat(depth) + ']'.repeat(depth) : '{"a":'.repeat(depth) + '1' + '}'.repeat(depth));
    headers['Content-Type'] = 'application/json';
    mutation = `deep nesting ${depth}`;
  } else if (m === 3) {
    const base = body ?? Buffer.from('{"Image":"busybox","Name":""}');
    const at = g.int(base.length + 1);
    body = Buffer.concat([base.subarray(0, at), INVALID_UTF8, base.subarray(at)]);
    headers['Content-Type'] ??= 'application/json';
    mutation = 'invalid utf-8';
  } else if (m === 4 && body && body.length > 1) {
    body = body.subarray(0, 1 + g.int(body.length - 1));
    mutation = 'truncated body';
  } else if (m === 5 && body && body.length > 1) {
    mutation = 'client went away mid-body';
    return { method: op.method, path, headers, body, cutAt: g.int(body.length), mutation };
  } else if (m === 6) {
    headers['Content-Type'] = g.pick([
      'text/plain',
      'application/x-tar',
      'multipart/form-data; boundary=x',
      'application/json; charset=latin1',
      'application/jsonx',
      '',
    ]);
    body ??= Buffer.from('{}');
    mutation = 'wrong content-type';
  } else if (m === 7 && g.chance(0.3)) {
    headers['X-Fuzz'] = 'h'.repeat(g.pick([20_000, 10 << 20]));
    mutation = 'oversized header';
  } else if (m === 8) {
    body = Buffer.from(
      g.pick([
        '',
        'null',
        'true',
        '0',
        '""',
        '[]',
        '{}',
        '{"":{}}',
        '\ufeff{}',
        '{"a":1,"a":2}',
        '{"__proto__":{"polluted":1}}',
        '{"constructor":{"prototype":{"x":1}}}',
      ]),
    );
    headers['Content-Type'] = 'application/json';
    mutation = 'odd JSON document';
  } else if (m === 9 && json !== undefined) {
    body = Buffer.from(JSON.stringify(g.mutateNode(json, () => `../../../../tmp/${canary}`)));
    mutation = 'path traversal value';
  }
  if (body) headers['Content-Length'] = String(body.length);
  return { method: op.method, path, headers, ...(body ? { body } : {}), mutation };
}

interface Outcome {
  status: number;
  text: string;
  timeout: boolean;
}

function send(socket: string, b: Built, timeoutMs: number): Promise<Outcome> {
  return new Promise((resolve) => {
    let done = false;
    const finish = (o: Outcome) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      req.destroy();
      resolve(o);
    };
    const req = request({ socketPath: socket, method: b.method, path: b.path, headers: b.headers, agent: false });
    const timer = setTimeout(() => finish({ status: 0, text: '', timeout: true }), timeoutMs);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        if (size < 4096) chunks.push(c);
        size += c.length;
        if (size > 1 << 20) finish({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString(), timeout: false }); // a stream: enough
      });
      res.on('end', () => finish({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString().slice(0, 2000), timeout: false }));
      res.on('error', () => finish({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString(), timeout: false }));
      // Streaming routes (logs -f, events, attach, wait): the status is what we came for.
      setTimeout(() => finish({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString().slice(0, 2000), timeout: false }), 1500).unref();
    });
    req.on('error', () => finish({ status: -1, text: '', timeout: false })); // the server closed on us: allowed for broken requests
    if (b.cutAt !== undefined && b.body) {
      req.write(b.body.subarray(0, b.cutAt));
      setTimeout(() => finish({ status: -2, text: '', timeout: false }), 50);
      return;
    }
    req.end(b.body);
  });
}

export async function ping(socket: string): Promise<boolean> {
  const o = await send(socket, { method: 'GET', path: '/_ping', headers: {}, mutation: '' }, 5000);
  return o.status === 200;
}

export async function fuzzEngineApi(o: FuzzOptions): Promise<FuzzResult> {
  const { ops, definitions, basePath } = loadOps(o.swaggerPath);
  const result: FuzzResult = { sent: 0, byStatus: {}, timeouts: 0, findings: [], routes: ops.length };
  const deadline = Date.now() + o.timeLimitMs;
  let next = 0;
  // Request i depends only on (seed, i), never on the order answers arrive in, so a seed replays.
  // Every route comes first (in swagger order), then random ones.
  const take = (): { g: Gen; op: Op } | undefined => {
    if (next >= o.requests || Date.now() > deadline) return undefined;
    const i = next++;
    const g = new Gen(seededRandom((o.seed ^ Math.imul(i + 1, 0x9e3779b1)) >>> 0), definitions, o.canary);
    return { g, op: i < ops.length ? ops[i]! : g.pick(ops) };
  };
  const worker = async () => {
    for (let t = take(); t; t = take()) {
      const b = buildRequest(t.g, t.op, basePath, o.targets, o.canary);
      const out = await send(o.socket, b, o.requestTimeoutMs ?? 5000);
      result.sent++;
      if (out.timeout) result.timeouts++;
      result.byStatus[out.status] = (result.byStatus[out.status] ?? 0) + 1;
      if (out.status === 500)
        result.findings.push({
          method: b.method,
          path: b.path.slice(0, 300),
          mutation: b.mutation,
          status: out.status,
          response: out.text.slice(0, 500),
          body: (b.body ?? Buffer.alloc(0)).subarray(0, 300).toString('latin1'),
        });
    }
  };
  await Promise.all(Array.from({ length: o.concurrency }, worker));
  return result;
}
