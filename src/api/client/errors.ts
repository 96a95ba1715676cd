// Client-side errors: what the daemon said (status + Docker's message) and failure to connect.
// Both are BerthErrors so callers can switch on kind like everywhere else in Berth.
import { BerthError, type ErrorKind } from '../../lib/errors.js';

function kindOfStatus(status: number): ErrorKind {
  switch (status) {
    case 304:
      return 'not-modified';
    case 400:
      return 'invalid-argument';
    case 401:
      return 'unauthorized';
    case 403:
      return 'forbidden';
    case 404:
      return 'not-found';
    case 405:
      return 'method-not-allowed';
    case 409:
      return 'conflict';
    case 413:
      return 'too-large';
    case 416:
      return 'range-not-satisfiable';
    case 429:
      return 'too-many-requests';
    case 501:
      return 'not-implemented';
    case 503:
      return 'unavailable';
    case 507:
      return 'insufficient-storage';
    default:
      return 'internal';
  }
}

/** A non-2xx answer from the daemon; `message` is Docker's text ("No such container: x"). */
export class ApiError extends BerthError {
  readonly status: number;
  constructor(status: number, message: string) {
    super(kindOfStatus(status), message);
    this.name = 'ApiError';
    this.status = status;
  }
}

/** The socket could not be reached; the message is the docker CLI's, word for word. */
export class ConnectError extends BerthError {
  readonly host: string;
  constructor(host: string, cause?: unknown) {
    super('unavailable', `Cannot connect to the Docker daemon at ${host}. Is the docker daemon running?`, { cause });
    this.name = 'ConnectError';
    this.host = host;
  }
}

export function isApiError(e: unknown, status?: number): e is ApiError {
  return e instanceof ApiError && (status === undefined || e.status === status);
}

/** Docker's error body is {"message": "..."}; anything else is shown as text, like docker does. */
export function parseErrorBody(status: number, contentType: string | undefined, body: string): ApiError {
  let message = body.trim();
  if (contentType?.includes('json')) {
    try {
      const parsed = JSON.parse(body) as { message?: unknown };
      if (typeof parsed.message === 'string') message = parsed.message;
    } catch {
      /* keep the raw text */
    }
  }
  if (!message) message = `${status} ${statusText(status)}`;
  return new ApiError(status, message);
}

function statusText(status: number): string {
  return ({ 304: 'Not Modified', 400: 'Bad Request', 404: 'Not Found', 409: 'Conflict', 500: 'Internal Server Error' } as Record<number, string>)[status] ?? '';
}
