// One error hierarchy for all of Berth. The domain chooses a kind; only api/server maps a kind
// to an HTTP status (see api/server/error-status.ts), so no domain module knows about HTTP.

export type ErrorKind =
  | 'invalid-argument' // 400: malformed input from the caller
  | 'unauthorized' // 401
  | 'forbidden' // 403
  | 'not-found' // 404
  | 'conflict' // 409: name in use, object in use, wrong state
  | 'not-modified' // 304: e.g. starting a running container
  | 'not-implemented' // 501
  | 'unavailable' // 503
  | 'canceled' // the caller aborted
  | 'internal'; // 500: everything else

export class BerthError extends Error {
  readonly kind: ErrorKind;
  override readonly cause?: unknown;
  constructor(kind: ErrorKind, message: string, options?: { cause?: unknown }) {
    super(message);
    this.name = 'BerthError';
    this.kind = kind;
    this.cause = options?.cause;
  }
}

export const invalidArgument = (msg: string, cause?: unknown) => new BerthError('invalid-argument', msg, { cause });
export const notFound = (msg: string, cause?: unknown) => new BerthError('not-found', msg, { cause });
export const conflict = (msg: string, cause?: unknown) => new BerthError('conflict', msg, { cause });
export const notModified = (msg = '') => new BerthError('not-modified', msg);
export const forbidden = (msg: string) => new BerthError('forbidden', msg);
export const unauthorized = (msg: string) => new BerthError('unauthorized', msg);
export const notImplemented = (msg: string) => new BerthError('not-implemented', msg);
export const unavailable = (msg: string, cause?: unknown) => new BerthError('unavailable', msg, { cause });
export const internal = (msg: string, cause?: unknown) => new BerthError('internal', msg, { cause });
export const canceled = (msg = 'operation canceled') => new BerthError('canceled', msg);

export function isBerthError(e: unknown, kind?: ErrorKind): e is BerthError {
  return e instanceof BerthError && (kind === undefined || e.kind === kind);
}

/** Errors from node:fs carry a string code; this narrows them without `any`. */
export function errnoCode(e: unknown): string | undefined {
  return typeof e === 'object' && e !== null && 'code' in e && typeof (e as { code: unknown }).code === 'string'
    ? (e as { code: string }).code
    : undefined;
}

export function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
