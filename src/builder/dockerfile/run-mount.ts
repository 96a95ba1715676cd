// `RUN --mount=type=cache,target=/root/.cache,...` parsed into objects with BuildKit's rules
// (defaults, per-type keys, read-only defaults) and its error texts.
import { ramInBytes } from '../../lib/go-units.js';
import { withSuggestion } from './suggest.js';

export type MountType = 'bind' | 'cache' | 'tmpfs' | 'secret' | 'ssh';
export type CacheSharing = 'shared' | 'private' | 'locked';

export interface RunMount {
  type: MountType;
  from?: string; // stage name, index or image (bind/cache)
  source?: string;
  target?: string;
  readOnly: boolean;
  sizeLimit?: number; // tmpfs bytes
  id?: string; // cache id / secret id
  sharing?: CacheSharing;
  required: boolean;
  env?: string; // secret exposed as env var
  mode?: number;
  uid?: number;
  gid?: number;
}

export class MountError extends Error {}

const types: MountType[] = ['bind', 'cache', 'tmpfs', 'secret', 'ssh'];
const sharings: CacheSharing[] = ['shared', 'private', 'locked'];
const allKeys = [
  'type',
  'from',
  'source',
  'target',
  'readonly',
  'id',
  'sharing',
  'required',
  'size',
  'mode',
  'uid',
  'gid',
  'src',
  'dst',
  'destination',
  'ro',
  'rw',
  'readwrite',
  'env',
];

/** CSV fields as Go's encoding/csv reads one record (double quotes, `""` inside quotes). */
export function csvFields(s: string): string[] {
  const out: string[] = [];
  let i = 0;
  for (;;) {
    let f = '';
    if (s[i] === '"') {
      i++;
      for (;;) {
        if (i >= s.length) throw new MountError(`failed to parse csv mounts: extraneous or missing " in quoted-field`);
        if (s[i] === '"') {
          if (s[i + 1] === '"') {
            f += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        f += s[i++];
      }
      if (i < s.length && s[i] !== ',') throw new MountError(`failed to parse csv mounts: extraneous or missing " in quoted-field`);
    } else {
      while (i < s.length && s[i] !== ',') f += s[i++];
      if (f.includes('"')) throw new MountError(`failed to parse csv mounts: bare " in non-quoted-field`);
    }
    out.push(f);
    if (i >= s.length) return out;
    i++; // comma
  }
}

function parseBool(key: string, v: string): boolean {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(v)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(v)) return false;
  throw new MountError(`invalid value for ${key}: ${v}`);
}

function parseUint(v: string, base: 8 | 10, what: string): number {
  const re = base === 8 ? /^[0-7]+$/ : /^\d+$/;
  const n = re.test(v) ? parseInt(v, base) : NaN;
  if (!Number.isFinite(n) || n > 0xffffffff) throw new MountError(`invalid value ${v} for ${what}`);
  return n;
}

/** Parses one --mount value; `expand` substitutes variables in values (identity when omitted). */
export function parseMount(val: string, expander?: (w: string) => string): RunMount {
  const expand = expander ?? ((w: string) => w);
  const m: RunMount = { type: 'bind', readOnly: false, required: false };
  let roAuto = true;
  for (const field of csvFields(val)) {
    const eq = field.indexOf('=');
    const key = (eq < 0 ? field : field.slice(0, eq)).toLowerCase();
    if (eq < 0) {
      if (key === 'readonly' || key === 'ro') {
        m.readOnly = true;
        roAuto = false;
        continue;
      }
      if (key === 'readwrite' || key === 'rw') {
        m.readOnly = false;
        roAuto = false;
        continue;
      }
      if (key === 'required') {
        if (m.type === 'secret' || m.type === 'ssh') {
          m.required = true;
          continue;
        }
        throw new MountError(`unexpected key '${key}' for mount type '${m.type}'`);
      }
      throw new MountError(`invalid field '${field}' must be a key=value pair`);
    }
    const value = expand(field.slice(eq + 1));
    switch (key) {
      case 'type': {
        const v = value.toLowerCase() as MountType;
        if (!types.includes(v)) throw new MountError(withSuggestion(`unsupported mount type ${JSON.stringify(value)}`, value, types, true));
        m.type = v;
        break;
      }
      case 'from':
        // Stage dependencies must be known before any variable is set (BuildKit's rule).
        if (!expander && value.indexOf('$') !== -1 && value.indexOf('$') !== value.length - 1) {
          throw new MountError(`'${key}' doesn't support variable expansion, define alias stage instead`);
        }
        m.from = value;
        break;
      case 'source':
      case 'src':
        m.source = value;
        break;
      case 'target':
      case 'dst':
      case 'destination':
        m.target = value;
        break;
      case 'readonly':
      case 'ro':
        m.readOnly = parseBool(key, value);
        roAuto = false;
        break;
      case 'readwrite':
      case 'rw':
        m.readOnly = !parseBool(key, value);
        roAuto = false;
        break;
      case 'required':
        if (m.type !== 'secret' && m.type !== 'ssh') throw new MountError(`unexpected key '${key}' for mount type '${m.type}'`);
        m.required = parseBool(key, value);
        break;
      case 'size':
        if (m.type !== 'tmpfs') throw new MountError(`unexpected key '${key}' for mount type '${m.type}'`);
        try {
          m.sizeLimit = ramInBytes(value);
        } catch {
          throw new MountError(`invalid value for ${key}: ${value}`);
        }
        break;
      case 'id':
        m.id = value;
        break;
      case 'sharing': {
        const v = value.toLowerCase() as CacheSharing;
        if (!sharings.includes(v)) throw new MountError(withSuggestion(`unsupported sharing value ${JSON.stringify(value)}`, value, sharings, true));
        m.sharing = v;
        break;
      }
      case 'mode':
        m.mode = parseUint(value, 8, 'mode');
        break;
      case 'uid':
        m.uid = parseUint(value, 10, 'uid');
        break;
      case 'gid':
        m.gid = parseUint(value, 10, 'gid');
        break;
      case 'env':
        m.env = value;
        break;
      default:
        throw new MountError(withSuggestion(`unexpected key '${key}' in '${field}'`, key, allKeys, true));
    }
  }
  if (m.type !== 'secret' && m.type !== 'ssh' && m.type !== 'cache') {
    for (const k of ['mode', 'uid', 'gid'] as const) {
      if (m[k] !== undefined) throw new MountError(`${k} not allowed for ${JSON.stringify(m.type)} type mounts`);
    }
  }
  if (roAuto) m.readOnly = !(m.type === 'cache' || m.type === 'tmpfs');
  if (m.type === 'secret') {
    if (m.from !== undefined && m.from !== '') throw new MountError('secret mount should not have a from');
    if (m.sharing) throw new MountError('secret mount should not define sharing');
    if (!m.source && !m.target && !m.id) throw new MountError('invalid secret mount. one of source, target required');
    if (m.source && m.id) throw new MountError("both source and id can't be set");
  }
  if (m.sharing && m.type !== 'cache') throw new MountError(`invalid cache sharing set for ${m.type} mount`);
  return m;
}
