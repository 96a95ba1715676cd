// A container's logs as `docker logs` reads them: Docker's rules for what may be read (a stream
// must be chosen; the `none` driver keeps nothing) and, with `follow`, the end of the stream
// when the container's process exits (before its die event, as dockerd closes the log first).
import { invalidArgument } from '../../lib/errors.js';
import type { ContainerRecord } from '../container-record.js';
import { readLogs, type ReadLogsOptions } from './log-reader.js';
import type { LogStream } from './log-format.js';

/** What reading logs needs of the container service. */
export interface LogSource {
  find(ref: string): ContainerRecord | undefined;
  isLive(rec: ContainerRecord): boolean;
  /** Calls fn once the container's process has exited; returns the unsubscribe. */
  whenExiting(id: string, fn: () => void): () => void;
}

/** One entry's bytes and the stream it was written to. */
export type LogChunk = { stream: LogStream; data: Buffer };

export type ContainerLogOptions = Pick<ReadLogsOptions, 'stdout' | 'stderr' | 'since' | 'until' | 'tail' | 'timestamps' | 'follow' | 'signal'>;

/**
 * `docker logs`: Docker's 400s (no stream chosen, the `none` driver) are thrown here, before
 * any output; the entries come from `logPath`. `follow` only follows a live container; the
 * stream then ends once its process exited and the file is drained.
 */
export function containerLogs(source: LogSource, rec: ContainerRecord, logPath: string, o: ContainerLogOptions): AsyncGenerator<LogChunk> {
  if (!o.stdout && !o.stderr) throw invalidArgument('Bad parameters: you must choose at least one stream');
  if (rec.host.logConfig.type === 'none') throw invalidArgument('configured logging driver does not support reading');
  return followLogs(source, rec, logPath, o);
}

async function* followLogs(source: LogSource, rec: ContainerRecord, logPath: string, o: ContainerLogOptions): AsyncGenerator<LogChunk> {
  const cur = source.find(rec.id);
  const follow = !!o.follow && !!cur && source.isLive(cur);
  const exited = new AbortController();
  const unsubscribe = follow ? source.whenExiting(rec.id, () => exited.abort()) : () => {};
  try {
    yield* readLogs(logPath, {
      ...o,
      follow,
      exited: exited.signal,
      isDone: () => {
        const now = source.find(rec.id);
        return !now || !source.isLive(now);
      },
    });
  } finally {
    unsubscribe();
  }
}
