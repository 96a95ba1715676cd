// Finds where the last N output lines start by reading the log file backwards in blocks, so
// `--tail 10` on a huge log touches only its end. Lines are counted over the combined output
// of both streams (as Docker does), and a trailing partial line counts as one line.
import type { FileHandle } from 'node:fs/promises';
import { parseLogLine } from './log-format.js';

const BLOCK = 256 * 1024;
const NL = 10;

export interface TailStart {
  /** File offset of the first entry to read. */
  offset: number;
  /** For the entry at `offset`: characters of its `log` to drop (the cut falls inside it). */
  skipChars: number;
  /**
   * Set when the whole file holds fewer lines than asked: the newlines still to pass in the file
   * before it (a rotated log's older file), or undefined when this file held no entry at all.
   */
  short?: { pass: number | undefined };
}

/** Index just after the k-th '\n' counted from the end of s, or -1 if s has fewer than k. */
function afterKthNewlineFromEnd(s: string, k: number): number {
  let i = s.length;
  for (let n = 0; n < k; n++) {
    i = s.lastIndexOf('\n', i - 1);
    if (i < 0) return -1;
    if (n < k - 1 && i === 0) return -1;
  }
  return i + 1;
}

function countNewlines(s: string): number {
  let c = 0;
  for (let i = s.indexOf('\n'); i >= 0; i = s.indexOf('\n', i + 1)) c++;
  return c;
}

/**
 * `pass`: continue a count begun in a newer file (its `short.pass`): the newlines still to pass
 * counted from this file's end.
 */
export async function findTailStart(fh: FileHandle, size: number, lines: number, pass?: number): Promise<TailStart> {
  // Entries end with '\n'; a last line without one is being written (or was cut): it is
  // skipped for counting and left for the forward reader to judge.
  let regionEnd = size;
  let blockSize = BLOCK;
  let remaining: number | undefined = pass; // newlines still to pass; set by the last whole entry
  if (lines <= 0) remaining = 0;
  while (regionEnd > 0) {
    const start = Math.max(0, regionEnd - blockSize);
    const data = Buffer.allocUnsafe(regionEnd - start);
    await readFully(fh, data, start);
    let p = data.length;
    // The first region may end in a partial line: step back to the last '\n'.
    if (regionEnd === size && data[p - 1] !== NL) {
      const q = data.lastIndexOf(NL, p - 1);
      if (q < 0 && start > 0) {
        blockSize *= 2;
        continue;
      }
      p = q + 1;
    }
    if (remaining === 0) return { offset: start + p, skipChars: 0 };
    let progressed = false;
    while (p > 0) {
      const q = p >= 2 ? data.lastIndexOf(NL, p - 2) : -1;
      if (q < 0 && start > 0) break; // line starts in an earlier block
      progressed = true;
      const entry = parseLogLine(data.toString('utf8', q + 1, p - 1));
      if (entry) {
        if (remaining === undefined) remaining = entry.log.endsWith('\n') ? lines + 1 : lines;
        const cut = afterKthNewlineFromEnd(entry.log, remaining);
        if (cut >= 0) {
          return cut >= entry.log.length ? { offset: start + p, skipChars: 0 } : { offset: start + q + 1, skipChars: cut };
        }
        remaining -= countNewlines(entry.log);
      }
      p = q + 1;
    }
    if (start === 0 && p === 0) break;
    regionEnd = start + p;
    // A line longer than the block: widen the read instead of rescanning the same bytes.
    blockSize = progressed ? BLOCK : blockSize * 2;
  }
  return { offset: 0, skipChars: 0, short: { pass: remaining } };
}

export async function readFully(fh: FileHandle, buf: Buffer, position: number): Promise<number> {
  let got = 0;
  while (got < buf.length) {
    const { bytesRead } = await fh.read(buf, got, buf.length - got, position + got);
    if (bytesRead === 0) break;
    got += bytesRead;
  }
  return got;
}
