// One error hierarchy for all of Berth. The domain chooses a kind (and, where a client may
// want to tell errors apart, a stable code); only lib/http's status table maps a kind to an
// HTTP status (see lib/http/error-status.ts), so no domain module knows about HTTP.

export type ErrorKind =
  | 'invalid-argument' // 400: malformed input from the caller
  | 'unauthorized' // 401
  | 'forbidden' // 403
  | 'not-found' // 404
  | 'conflict' // 409: name in use, object in use, wrong state
  | 'method-not-allowed' // 405: the operation is switched off here (a read-only registry)
  | 'too-large' // 413: a body over the server's limit (a manifest over 4 MiB)
  | 'range-not-satisfiable' // 416: an upload chunk that does not start where the data ends
  | 'too-many-requests' // 429
  | 'not-modified' // 304: e.g. starting a running container
  | 'not-implemented' // 501
  | 'unavailable' // 503
  | 'insufficient-storage' // 507: the disk under the data root is full (ENOSPC, EDQUOT)
  | 'canceled' // the caller aborted
  | 'internal'; // 500: everything else

/**
 * The code an error gets when its maker names none: the kind in SCREAMING_SNAKE. Codes are
 * part of the API (the registry server sends them as OCI error codes, clients may match on
 * them), so a code once given is never renamed.
 */
export const DEFAULT_CODE: Readonly<Record<ErrorKind, string>> = {
  'invalid-argument': 'INVALID_ARGUMENT',
  unauthorized: 'UNAUTHORIZED',
  forbidden: 'FORBIDDEN',
  'not-found': 'NOT_FOUND',
  conflict: 'CONFLICT',
  'method-not-allowed': 'METHOD_NOT_ALLOWED',
  'too-large': 'TOO_LARGE',
  'range-not-satisfiable': 'RANGE_NOT_SATISFIABLE',
  'too-many-requests': 'TOO_MANY_REQUESTS',
  'not-modified': 'NOT_MODIFIED',
  'not-implemented': 'NOT_IMPLEMENTED',
  unavailable: 'UNAVAILABLE',
  'insufficient-storage': 'INSUFFICIENT_STORAGE',
  canceled: 'CANCELED',
  internal: 'INTERNAL',
};

const CODE_RE = /^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*$/;

export interface BerthErrorOptions {
  /** Stable SCREAMING_SNAKE code (NO_SUCH_CONTAINER, NAME_IN_USE, BLOB_UNKNOWN); defaults per kind. */
  code?: string;
  /** Structured, JSON-able facts for machine readers (the OCI error body's `detail`). */
  detail?: unknown;
  cause?: unknown;
}

export class BerthError extends Error {
  readonly kind: ErrorKind;
  readonly code: string;
  readonly detail?: unknown;
  override readonly cause?: unknown;
  constructor(kind: ErrorKind, message: string, options?: BerthErrorOptions) {
    super(message);
    const code = options?.code ?? DEFAULT_CODE[kind];
    // A typo'd code would silently become API; refuse it where it is written.
    if (!CODE_RE.test(code)) throw new TypeError(`error code must be SCREAMING_SNAKE: ${JSON.stringify(code)}`);
    this.name = 'BerthError';
    this.kind = kind;
    this.code = code;
    this.detail = options?.detail;
    this.cause = options?.cause;
  }
}

/** Code and detail for the helpers below, whose second argument stays the cause. */
export type ErrorExtras = Omit<BerthErrorOptions, 'cause'>;

const make = (kind: ErrorKind) => (msg: string, cause?: unknown, extras?: ErrorExtras) => new BerthError(kind, msg, { ...extras, cause });

export const invalidArgument = make('invalid-argument');
export const notFound = make('not-found');
export const conflict = make('conflict');
export const notModified = (msg = '', extras?: ErrorExtras) => new BerthError('not-modified', msg, extras);
export const forbidden = make('forbidden');
export const unauthorized = make('unauthorized');
export const notImplemented = make('not-implemented');
export const unavailable = make('unavailable');
export const internal = make('internal');
export const canceled = (msg = 'operation canceled', extras?: ErrorExtras) => new BerthError('canceled', msg, extras);

export function isBerthError(e: unknown, kind?: ErrorKind): e is BerthError {
  return e instanceof BerthError && (kind === undefined || e.kind === kind);
}

/** True for a BerthError with this stable code (what callers match on instead of message text). */
export function hasErrorCode(e: unknown, code: string): e is BerthError {
  return e instanceof BerthError && e.code === code;
}

/**
 * Errors from node:fs carry a string errno code; this narrows them without `any`. A
 * BerthError's code is Berth's own vocabulary, not an errno, so it never counts here.
 */
export function errnoCode(e: unknown): string | undefined {
  if (e instanceof BerthError) return undefined;
  return typeof e === 'object' && e !== null && 'code' in e && typeof (e as { code: unknown }).code === 'string' ? (e as { code: string }).code : undefined;
}

/**
 * True when e, or an error it was made from (its `cause` chain), is a full disk or quota:
 * the caller asked for something that needs space the host does not have, not a bug.
 */
export function isNoSpace(e: unknown): boolean {
  for (let c: unknown = e, depth = 0; c !== undefined && c !== null && depth < 8; depth++) {
    const code = errnoCode(c);
    if (code === 'ENOSPC' || code === 'EDQUOT') return true;
    if (typeof c === 'object' && /\bno space left on device\b/i.test(messageOf(c)) && !(c instanceof BerthError && c.kind !== 'internal')) return true;
    c = typeof c === 'object' ? (c as { cause?: unknown }).cause : undefined;
  }
  return false;
}

export function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
