// Turns parsed log entries into output chunks: stream and time filters, `until` detection,
// `-t` prefixes per line (tracking per stream whether the last chunk ended mid-line), and
// batching of adjacent same-stream output so a million tiny entries are not a million yields.
import { formatRfc3339Nano } from '../../lib/time-parse.js';
import { canonicalTime, compareTime, type LogEntry, type LogStream } from './log-format.js';

export interface LogChunk {
  stream: LogStream;
  data: Buffer;
}

const BATCH_CHARS = 1024 * 1024;

export interface EmitterOptions {
  stdout: boolean;
  stderr: boolean;
  timestamps: boolean;
  sinceNs?: bigint | undefined;
  untilNs?: bigint | undefined;
}

export class LogEmitter {
  /** Set once an entry after `until` was seen: nothing more is to be emitted. */
  ended = false;
  private midLine: Record<LogStream, boolean> = { stdout: false, stderr: false };
  private out: LogChunk[] = [];
  private curStream: LogStream | undefined;
  private cur: string[] = [];
  private curChars = 0;
  private readonly sinceC: string | undefined;
  private readonly untilC: string | undefined;

  constructor(private readonly o: EmitterOptions) {
    // Docker treats since=0 as "from the start" and until=0 as "no bound".
    this.sinceC = o.sinceNs !== undefined && o.sinceNs > 0n ? formatRfc3339Nano(o.sinceNs) : undefined;
    this.untilC = o.untilNs !== undefined && o.untilNs > 0n ? formatRfc3339Nano(o.untilNs) : undefined;
  }

  /** Handles one entry; `skipChars` drops the head of its log (a tail cut inside it). */
  entry(e: LogEntry, skipChars = 0): void {
    if (this.ended) return;
    if (this.untilC !== undefined && compareTime(e.time, this.untilC, this.o.untilNs!) > 0) {
      this.ended = true;
      return;
    }
    if (!this.o[e.stream]) return;
    if (this.sinceC !== undefined && compareTime(e.time, this.sinceC, this.o.sinceNs!) < 0) return;
    let log = skipChars > 0 ? e.log.slice(skipChars) : e.log;
    if (log.length === 0) return;
    if (this.o.timestamps) {
      const ts = canonicalTime(e.time) + ' ';
      const endsNl = log.charCodeAt(log.length - 1) === 10;
      const body = endsNl ? log.slice(0, -1).replaceAll('\n', '\n' + ts) + '\n' : log.replaceAll('\n', '\n' + ts);
      log = this.midLine[e.stream] ? body : ts + body;
      this.midLine[e.stream] = !endsNl;
    }
    if (this.curStream !== e.stream || this.curChars >= BATCH_CHARS) this.flushCurrent();
    this.curStream = e.stream;
    this.cur.push(log);
    this.curChars += log.length;
  }

  /** Resets per-stream line state (the file was truncated and restarts). */
  resetLineState(): void {
    this.midLine = { stdout: false, stderr: false };
  }

  private flushCurrent(): void {
    if (this.curStream !== undefined && this.cur.length > 0) {
      const s = this.cur.length === 1 ? this.cur[0]! : this.cur.join('');
      this.out.push({ stream: this.curStream, data: Buffer.from(s, 'utf8') });
    }
    this.cur = [];
    this.curChars = 0;
    this.curStream = undefined;
  }

  /** Output gathered since the last take(). */
  take(): LogChunk[] {
    this.flushCurrent();
    const o = this.out;
    this.out = [];
    return o;
  }
}
