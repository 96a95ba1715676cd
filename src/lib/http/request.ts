// Request reading: query parameters (with Docker's boolean and filter conventions, which the
// other servers are free to ignore) and bounded bodies, with 400s for malformed input.
import { invalidArgument } from '../errors.js';

export type Filters = Record<string, string[]>;

export class Query {
  constructor(private readonly params: URLSearchParams) {}

  has(name: string): boolean {
    return this.params.has(name);
  }
  str(name: string): string | undefined {
    return this.params.get(name) ?? undefined;
  }
  all(name: string): string[] {
    return this.params.getAll(name);
  }
  /** Docker treats "", "0", "false" (any case) and absence as false. */
  bool(name: string, dflt = false): boolean {
    const v = this.params.get(name);
    if (v === null) return dflt;
    const l = v.toLowerCase();
    return !(l === '' || l === '0' || l === 'false' || l === 'no');
  }
  int(name: string): number | undefined {
    const v = this.params.get(name);
    if (v === null || v === '') return undefined;
    const n = Number(v);
    if (!Number.isInteger(n)) throw invalidArgument(`invalid value for ${name}: ${JSON.stringify(v)}`);
    return n;
  }
  /** `filters` is a JSON object of name -> string[] (or, from old clients, name -> {value: true}). */
  filters(name = 'filters'): Filters {
    const raw = this.params.get(name);
    if (!raw) return {};
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      throw invalidArgument(`invalid filter: ${raw}`);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw invalidArgument(`invalid filter: ${raw}`);
    const out: Filters = {};
    for (const [k, v] of Object.entries(parsed)) {
      if (Array.isArray(v)) out[k] = v.map(String);
      else if (typeof v === 'object' && v !== null)
        out[k] = Object.entries(v)
          .filter(([, on]) => on)
          .map(([key]) => key);
      else throw invalidArgument(`invalid filter: ${raw}`);
    }
    return out;
  }
}

const MAX_JSON_BODY = 16 * 1024 * 1024;

export async function readBody(req: AsyncIterable<unknown>, limit = MAX_JSON_BODY): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > limit) throw invalidArgument(`request body too large (limit ${limit} bytes)`);
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks);
}

/** Parses a JSON object body; an empty body gives `{}` (Docker accepts empty bodies for most POSTs). */
export async function readJsonObject(req: AsyncIterable<unknown>): Promise<Record<string, unknown>> {
  const buf = await readBody(req);
  if (buf.length === 0 || buf.toString().trim() === '') return {};
  let v: unknown;
  try {
    v = JSON.parse(buf.toString('utf8'));
  } catch (e) {
    throw invalidArgument(`invalid JSON: ${(e as Error).message}`);
  }
  if (v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw invalidArgument('invalid JSON: expected an object');
  return v as Record<string, unknown>;
}
