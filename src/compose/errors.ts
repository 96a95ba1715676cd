// One error class for everything wrong in compose files, raised before anything is created.
// The message reads like compose's (`validating /x/compose.yaml: services.web.ports.0 must be a
// string or number`); `file` and `path` let the CLI or a test point at the place without parsing it.
import { BerthError } from '../lib/errors.js';

export class ComposeFileError extends BerthError {
  /** The compose file (absolute) the problem is in, when known. */
  readonly file: string | undefined;
  /** Dotted path inside the file (`services.web.ports.0`), when known. */
  readonly path: string | undefined;
  constructor(message: string, where: { file?: string; path?: string } = {}, options?: { cause?: unknown }) {
    super('invalid-argument', message, options);
    this.name = 'ComposeFileError';
    this.file = where.file;
    this.path = where.path;
  }
}

/** `validating <file>: <path> <problem>`, compose's form for schema errors. */
export function validationError(file: string, path: string, problem: string): ComposeFileError {
  return new ComposeFileError(`validating ${file}: ${path ? `${path} ` : ''}${problem}`, { file, path });
}
