// The OCI distribution spec's error codes as BerthErrors: each picks the kind whose status the
// spec asks for (lib/http's one table turns kinds into statuses), and the code is the spec's.
// errorBody renders them in the spec's envelope: {"errors":[{"code","message","detail"}]}.
import { BerthError, isBerthError, messageOf, type ErrorKind } from '../../lib/errors.js';
import type { ErrorBody } from '../../lib/http/error-status.js';

const make =
  (kind: ErrorKind, code: string, dflt: string) =>
  (message = dflt, detail?: unknown) =>
    new BerthError(kind, message, { code, detail });

export const blobUnknown = make('not-found', 'BLOB_UNKNOWN', 'blob unknown to registry');
export const blobUploadInvalid = make('invalid-argument', 'BLOB_UPLOAD_INVALID', 'blob upload invalid');
/** An out-of-order or malformed chunk: the spec's 416, with the upload's code. */
export const rangeInvalid = make('range-not-satisfiable', 'BLOB_UPLOAD_INVALID', 'chunk does not start where the upload ends');
export const blobUploadUnknown = make('not-found', 'BLOB_UPLOAD_UNKNOWN', 'blob upload unknown to registry');
export const digestInvalid = make('invalid-argument', 'DIGEST_INVALID', 'provided digest did not match uploaded content');
export const manifestBlobUnknown = make('invalid-argument', 'MANIFEST_BLOB_UNKNOWN', 'manifest references a manifest or blob unknown to registry');
export const manifestInvalid = make('invalid-argument', 'MANIFEST_INVALID', 'manifest invalid');
export const manifestTooLarge = make('too-large', 'MANIFEST_INVALID', 'manifest too large');
export const manifestUnknown = make('not-found', 'MANIFEST_UNKNOWN', 'manifest unknown to registry');
export const nameInvalid = make('invalid-argument', 'NAME_INVALID', 'invalid repository name');
export const nameUnknown = make('not-found', 'NAME_UNKNOWN', 'repository name not known to registry');
export const sizeInvalid = make('invalid-argument', 'SIZE_INVALID', 'provided length did not match content length');
export const unauthorizedError = make('unauthorized', 'UNAUTHORIZED', 'authentication required');
export const denied = make('forbidden', 'DENIED', 'requested access to the resource is denied');
export const unsupported = make('method-not-allowed', 'UNSUPPORTED', 'the operation is unsupported');
/** A digest of an algorithm this registry does not implement (well formed, so not DIGEST_INVALID). */
export const unsupportedDigest = make('invalid-argument', 'UNSUPPORTED', 'digest algorithm not supported');
export const tooManyRequests = make('too-many-requests', 'TOOMANYREQUESTS', 'too many requests');

/** The spec's envelope; errors that are not ours (bugs, fs failures) say UNKNOWN without internals. */
export const registryErrorBody: ErrorBody = (e, status) => {
  if (isBerthError(e)) return { errors: [{ code: e.code, message: status >= 500 ? 'internal error' : e.message, detail: e.detail ?? null }] };
  return { errors: [{ code: 'UNKNOWN', message: status >= 500 ? 'internal error' : messageOf(e), detail: null }] };
};
