// The json-file (and local) log driver's options as dockerd reads them: which keys exist, what
// their values mean, and how a container's LogConfig meets the daemon's defaults (daemon.json's
// `log-driver`/`log-opts`). Pure: the shim is told the result (--log-max-size/--log-max-file).
import { invalidArgument } from '../../lib/errors.js';
import { ramInBytes } from '../../lib/go-units.js';

export interface LogConfig {
  type: string;
  config: Record<string, string>;
}

/** What the writer (berth-shim) does with the file: rotate at `maxSize` bytes, keep `maxFile` files. */
export interface LogRotation {
  /** 0: never rotate. */
  maxSize: number;
  maxFile: number;
}

export const LOG_DRIVERS = ['json-file', 'local', 'none'] as const;

// dockerd's json-file ValidateLogOpt accepts these; the tag/labels/env ones only decorate entries.
const JSON_FILE_KEYS = new Set(['max-file', 'max-size', 'compress', 'labels', 'labels-regex', 'env', 'env-regex', 'tag']);
// dockerd's local driver: max-size, max-file and compress only (it defaults to 20m x 5).
const LOCAL_KEYS = new Set(['max-file', 'max-size', 'compress']);

/**
 * dockerd's mergeAndVerifyLogConfig: no type means the daemon's; when the type is the daemon's,
 * the daemon's options fill in the keys the container did not set.
 */
export function mergeLogConfig(requested: LogConfig, daemonDefault: LogConfig): LogConfig {
  const type = requested.type || daemonDefault.type || 'json-file';
  const config = { ...requested.config };
  if (type === (daemonDefault.type || 'json-file')) {
    for (const [k, v] of Object.entries(daemonDefault.config)) if (!(k in config)) config[k] = v;
  }
  return { type, config };
}

/** Checks a log config as dockerd does at create (and at daemon start for daemon.json); returns the rotation to apply. */
export function logRotationOf(lc: LogConfig): LogRotation {
  const type = lc.type || 'json-file';
  if (!(LOG_DRIVERS as readonly string[]).includes(type)) throw invalidArgument(`logger: no log driver named '${type}' is registered`);
  if (type === 'none') {
    if (Object.keys(lc.config).length) throw invalidArgument('invalid logging opts for driver none');
    return { maxSize: 0, maxFile: 1 };
  }
  const known = type === 'local' ? LOCAL_KEYS : JSON_FILE_KEYS;
  for (const k of Object.keys(lc.config)) if (!known.has(k)) throw invalidArgument(`unknown log opt '${k}' for ${type} log driver`);
  // Value errors read as dockerd's (it finds them when the logger starts; Berth at create, before anything exists).
  const fail = (msg: string) => invalidArgument(`failed to initialize logging driver: ${msg}`);
  let maxSize = type === 'local' ? 20 * 1024 * 1024 : 0;
  let maxFile = type === 'local' ? 5 : 1;
  const ms = lc.config['max-size'];
  if (ms !== undefined && ms !== '') {
    try {
      maxSize = ramInBytes(ms);
    } catch {
      throw fail(`invalid size: '${ms}'`);
    }
    if (maxSize <= 0) throw fail('max-size must be a positive number');
  }
  const mf = lc.config['max-file'];
  if (mf !== undefined && mf !== '') {
    if (!/^[+-]?\d+$/.test(mf)) throw fail(`strconv.Atoi: parsing ${JSON.stringify(mf)}: invalid syntax`);
    maxFile = Number(mf);
    if (maxFile < 1) throw fail('max-file cannot be less than 1');
  }
  const c = lc.config.compress;
  if (c !== undefined && c !== '') {
    const t = ['1', 't', 'T', 'true', 'TRUE', 'True'].includes(c);
    if (!t && !['0', 'f', 'F', 'false', 'FALSE', 'False'].includes(c)) throw fail(`strconv.ParseBool: parsing ${JSON.stringify(c)}: invalid syntax`);
    if (t && (maxFile < 2 || maxSize <= 0)) throw fail('compress cannot be true when max-file is less than 2 or max-size is not set');
    // dockerd gzips rotated files; Berth keeps them plain, and says so rather than ignore the ask.
    if (t) throw fail('compress=true is not supported: rotated log files are kept uncompressed');
  }
  return { maxSize: maxSize > 0 ? maxSize : 0, maxFile };
}

/** The rotated files of a log at `path`, newest first: path.1, path.2, ... (dockerd's names). */
export function rotatedLogPath(path: string, n: number): string {
  return `${path}.${n}`;
}
