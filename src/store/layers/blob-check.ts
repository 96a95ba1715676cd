// The compressed blob's own check during a pull that keeps no copy of it: its bytes are hashed
// as they reach the unpacker (sha256, capped at the descriptor's size), and its verdict comes
// before the unpack's: a corrupted blob is a verification failure even when its damage also
// breaks the gzip or the tar (Docker reports it so). Used on the worker thread and, without a
// worker, on the caller's.
import { createHash, type Hash } from 'node:crypto';
import type { Digest } from '../../lib/digest.js';
import { invalidArgument } from '../../lib/errors.js';

/** The stable code of a blob whose bytes are not its descriptor's (callers word it as Docker does). */
export const BLOB_MISMATCH = 'LAYER_BLOB_MISMATCH';

export interface ExpectedBlob {
  digest: Digest;
  size: number;
}

export class BlobCheck {
  private readonly hash: Hash = createHash('sha256');
  private size = 0;
  /** Set once more bytes came than the descriptor's size. */
  overflow?: Error;

  constructor(private readonly expected: ExpectedBlob) {}

  /** Hashes the next bytes; throws (BLOB_MISMATCH) once more arrive than the descriptor's size. */
  update(b: Uint8Array): void {
    this.size += b.length;
    if (this.size > this.expected.size) throw (this.overflow ??= this.mismatch(`got more than the expected ${this.expected.size} bytes`));
    this.hash.update(b);
  }

  /** After the last byte: the mismatch error, or undefined when the blob is the descriptor's (decided once). */
  verdict(): Error | undefined {
    if (this.decided === undefined) this.decided = { error: this.decide() };
    return this.decided.error;
  }

  private decided?: { error: Error | undefined };

  private decide(): Error | undefined {
    if (this.overflow) return this.overflow;
    if (this.size !== this.expected.size) return this.mismatch(`expected ${this.expected.size} bytes, got ${this.size}`);
    const got: Digest = `sha256:${this.hash.digest('hex')}`;
    return got === this.expected.digest ? undefined : this.mismatch(`expected ${this.expected.digest}, got ${got}`);
  }

  private mismatch(why: string): Error {
    return invalidArgument(`content digest mismatch: ${why}`, undefined, { code: BLOB_MISMATCH });
  }
}
