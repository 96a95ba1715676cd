// What normalisation needs to know about the project, and how it reports a bad value.
import { ComposeFileError } from '../errors.js';

export interface NormalizeContext {
  projectName: string;
  /** Absolute project directory: relative paths are resolved against it. */
  workingDir: string;
  /** The interpolation environment (bare `environment:` names and build args resolve from it). */
  environment: Record<string, string>;
  /** The first compose file, named in messages about the merged model. */
  file: string;
  home: string | undefined;
}

export function fieldError(ctx: NormalizeContext, path: string, problem: string, cause?: unknown): ComposeFileError {
  return new ComposeFileError(`${ctx.file}: ${path} ${problem}`, { file: ctx.file, path }, { cause });
}

/** Runs a conversion, turning its error into a ComposeFileError at `path`. */
export function at<T>(ctx: NormalizeContext, path: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof ComposeFileError) {
      // An error from a file this value names (an env file): keep its text, add where it was named.
      if (e.path === undefined) throw new ComposeFileError(e.message, { file: ctx.file, path }, { cause: e });
      throw e;
    }
    throw fieldError(ctx, path, (e as Error).message, e);
  }
}
