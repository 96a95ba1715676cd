// Shows a jsonmessage stream (pull, load, import) the way docker does without a terminal:
// one line per status; an in-band error ends the stream with that error.
import type { JsonMessage } from '../api/types/index.js';

export class StreamError extends Error {}

export async function showJsonMessages(stream: AsyncIterable<JsonMessage>, write: (s: string) => void): Promise<JsonMessage[]> {
  const all: JsonMessage[] = [];
  for await (const m of stream) {
    all.push(m);
    if (m.errorDetail || m.error) throw new StreamError(m.errorDetail?.message ?? m.error ?? 'unknown error');
    if (m.stream !== undefined) {
      write(m.stream);
      continue;
    }
    if (m.status === undefined) continue;
    if (m.progress && m.status !== 'Downloading' && m.status !== 'Extracting') continue;
    if (m.status === 'Downloading' || m.status === 'Extracting' || m.status === 'Waiting') continue;
    write(`${m.id ? `${m.id}: ` : ''}${m.status}\n`);
  }
  return all;
}
