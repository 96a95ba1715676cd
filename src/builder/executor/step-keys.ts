// Helpers shared by the step handlers: canonical instruction JSON for cache keys (no source
// locations, so identical steps in different Dockerfiles share cache entries), the build
// error type, and the created_by text of RUN with build args.
import { BerthError } from '../../lib/errors.js';
import type { Instruction } from '../dockerfile/instruction-types.js';

const LOCATION_KEYS = new Set(['file', 'startLine', 'endLine', 'original']);

export function canonicalInstruction(ins: Instruction): unknown {
  return JSON.parse(JSON.stringify(ins, (k, v: unknown) => (LOCATION_KEYS.has(k) ? undefined : v)));
}

/** A build failure reported in-band; `exitCode` is the RUN exit code when there is one. */
export class BuildStepError extends BerthError {
  constructor(
    message: string,
    readonly exitCode?: number,
  ) {
    super('invalid-argument', message);
  }
}

/** `|2 A=1 B=2 /bin/sh -c make` (moby's prependEnvOnCmd; no prefix without args). */
export function runCreatedBy(args: Record<string, string>, cmd: string[]): string {
  const pairs = Object.keys(args)
    .sort()
    .map((k) => `${k}=${args[k]}`);
  return (pairs.length ? `|${pairs.length} ${pairs.join(' ')} ` : '') + cmd.join(' ');
}
