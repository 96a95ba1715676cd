// Every Dockerfile error carries its location; the message is worded as BuildKit words it
// (`dockerfile parse error on line 3: unknown instruction: FOO`) because users search for it.
import { BerthError } from '../../lib/errors.js';

export interface SourceLocation {
  file: string; // the Dockerfile's name as the user gave it (e.g. "Dockerfile")
  line: number; // 1-based first line; 0 when the error is about the whole file
  endLine: number;
  column?: number; // 1-based, where meaningful
}

export class DockerfileParseError extends BerthError {
  readonly file: string;
  readonly line: number;
  readonly endLine: number;
  readonly column: number | undefined;
  /** The message without the location prefix (BuildKit's inner error); also the error's JSON detail. */
  override readonly detail: string;
  constructor(detail: string, loc: SourceLocation, options?: { cause?: unknown; prefix?: boolean }) {
    super('invalid-argument', options?.prefix === false ? detail : `dockerfile parse error on line ${loc.line}: ${detail}`, options);
    this.name = 'DockerfileParseError';
    this.file = loc.file;
    this.line = loc.line;
    this.endLine = loc.endLine;
    this.column = loc.column;
    this.detail = detail;
  }

  /** `Dockerfile:3` (or `Dockerfile:3:7`), the form BuildKit prints above its error box. */
  get where(): string {
    return `${this.file}:${this.line}${this.column ? `:${this.column}` : ''}`;
  }
}
