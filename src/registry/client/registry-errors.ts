// The distribution spec's error bodies ({"errors":[{"code","message","detail"}]}) and the
// texts Docker builds from them, which clients show verbatim:
//   manifest for 127.0.0.1:5000/x:nope not found: manifest unknown: manifest unknown
//   pull access denied for x, repository does not exist or may require 'docker login': denied: ...
import { forbidden, notFound, unavailable, type BerthError } from '../../lib/errors.js';

export interface RegistryErrorItem {
  code: string;
  message: string;
}

/** The first error of a registry error body, or undefined if the body is not one. */
export function parseRegistryErrors(body: Buffer): RegistryErrorItem[] {
  let v: unknown;
  try {
    v = JSON.parse(body.toString('utf8'));
  } catch {
    return [];
  }
  const errs = (v as { errors?: unknown })?.errors;
  if (!Array.isArray(errs)) return [];
  return errs
    .filter((e): e is Record<string, unknown> => typeof e === 'object' && e !== null)
    .map((e) => ({
      code: typeof e.code === 'string' ? e.code.slice(0, 100) : 'UNKNOWN',
      message: typeof e.message === 'string' ? e.message.slice(0, 1000) : '',
    }));
}

/** Go's errcode.Error text: "manifest unknown: <message>". */
export function errcodeText(e: RegistryErrorItem): string {
  return `${e.code.toLowerCase().replace(/_/g, ' ')}: ${e.message}`;
}

export function registryErrorText(body: Buffer): string | undefined {
  const e = parseRegistryErrors(body)[0];
  return e ? errcodeText(e) : undefined;
}

/**
 * The error for a failed manifest fetch, as moby translates it: DENIED, MANIFEST_UNKNOWN and
 * NAME_UNKNOWN are "not found" (404 to the API); UNAUTHORIZED is an authorisation failure.
 * `ref` is the familiar reference (127.0.0.1:5000/x:tag), `name` its familiar name.
 */
export function manifestFetchError(status: number, body: Buffer, ref: string, name: string, url: string): BerthError {
  const first =
    parseRegistryErrors(body)[0] ??
    (status === 404
      ? { code: 'MANIFEST_UNKNOWN', message: 'manifest unknown' }
      : status === 401
        ? { code: 'UNAUTHORIZED', message: 'authentication required' }
        : undefined);
  if (!first) return unavailable(`Get "${url}": unexpected status ${status} from the registry`);
  const cause = errcodeText(first);
  switch (first.code) {
    case 'DENIED':
      return notFound(`pull access denied for ${name}, repository does not exist or may require 'docker login': ${cause}`);
    case 'MANIFEST_UNKNOWN':
      return notFound(`manifest for ${ref} not found: ${cause}`);
    case 'NAME_UNKNOWN':
      return notFound(`repository ${name} not found: ${cause}`);
    case 'UNAUTHORIZED':
      return authFailed(`Get "${url}": ${cause}`);
    default:
      return status === 404 ? notFound(`manifest for ${ref} not found: ${cause}`) : unavailable(`Get "${url}": ${cause}`);
  }
}

export function pullAccessDenied(name: string, cause: string): BerthError {
  return notFound(`pull access denied for ${name}, repository does not exist or may require 'docker login': ${cause}`);
}

/**
 * A registry refused our credentials (or we had none). Not "unauthorized" (401): a 401 from
 * the daemon makes the docker CLI start an interactive login and wait on stdin; dockerd answers
 * these with a non-401 status too, and the CLI prints the text and exits 1.
 */
export function authFailed(msg: string): BerthError {
  return forbidden(msg);
}
