// Several containers' logs as one stream of lines, each tagged with its container, as compose
// prints them ("web-1  | hello"): raw for TTY containers, demultiplexed otherwise, split on
// newlines so lines of different containers never interleave mid-line.
import { StdcopyDemuxer } from '../api/client/stdcopy.js';
import type { LogsOptions } from '../api/client/docker-client.js';
import type { ComposeApi } from './api.js';

export interface LogSource {
  id: string;
  name: string;
  service: string;
  tty: boolean;
}
export interface LogLine {
  source: LogSource;
  stream: 'stdout' | 'stderr';
  text: string;
}

/** Streams each container's log until it ends (or the signal aborts); resolves when all have ended. */
export async function streamLogs(api: ComposeApi, sources: LogSource[], o: LogsOptions, onLine: (l: LogLine) => void, signal?: AbortSignal): Promise<void> {
  await Promise.all(
    sources.map(async (source) => {
      const partial = { stdout: '', stderr: '' };
      const emit = (stream: 'stdout' | 'stderr', data: Buffer) => {
        const text = partial[stream] + data.toString('utf8');
        const lines = text.split('\n');
        partial[stream] = lines.pop()!;
        for (const t of lines) onLine({ source, stream, text: t });
      };
      try {
        const res = await api.containerLogs(source.id, o, signal);
        const demux = new StdcopyDemuxer((s, d) => emit(s === 2 ? 'stderr' : 'stdout', d));
        for await (const chunk of res) {
          if (source.tty) emit('stdout', chunk as Buffer);
          else demux.push(chunk as Buffer);
        }
      } catch (e) {
        if (!signal?.aborted) throw e;
      }
      for (const stream of ['stdout', 'stderr'] as const) if (partial[stream]) onLine({ source, stream, text: partial[stream] });
    }),
  );
}

const COLORS = [36, 33, 32, 35, 34, 96, 93, 92, 95, 94];

/** Compose's "name  | " prefix, padded to the longest name, colored per service when asked. */
export function logPrefixer(names: string[], color: boolean): (source: LogSource) => string {
  const width = Math.max(0, ...names.map((n) => n.length));
  const services = new Map<string, number>();
  return (s) => {
    const pad = s.name.padEnd(width);
    if (!color) return `${pad}  | `;
    if (!services.has(s.service)) services.set(s.service, COLORS[services.size % COLORS.length]!);
    return `\x1b[${services.get(s.service)}m${pad}  | \x1b[0m`;
  };
}
