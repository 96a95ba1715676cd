// Docker's jsonmessage stream (pull, push, build, load, import): one JSON object per line.
// Status first, errors in-band after: until the first message the answer can still be an HTTP
// error; once the 200 is out, a failure becomes a final {"errorDetail"} line.
import type { ServerResponse } from 'node:http';
import { messageOf } from '../errors.js';

export class JsonStream {
  constructor(private readonly res: ServerResponse) {}

  /** True once the 200 is out: from here on errors go in-band. */
  get started(): boolean {
    return this.res.headersSent;
  }

  /** Sends the 200 now (an operation that succeeded without reporting anything still answers). */
  start(): this {
    if (!this.res.headersSent) this.res.writeHead(200, { 'Content-Type': 'application/json' });
    return this;
  }

  send(msg: object): void {
    this.start();
    // A client gone mid-stream is not an error of the operation; its lines are dropped.
    if (!this.res.writableEnded && !this.res.destroyed) this.res.write(JSON.stringify(msg) + '\r\n');
  }

  /**
   * Reports a failure: before the stream started it is rethrown (the server answers with the
   * error's status); after, it is the last line, with a numeric `code` when there is one (a
   * RUN step's exit status, which `docker build` exits with).
   */
  fail(e: unknown, code?: number): void {
    if (!this.started) throw e;
    this.send({ errorDetail: { ...(code !== undefined ? { code } : {}), message: messageOf(e) }, error: messageOf(e) });
  }

  end(): void {
    this.res.end();
  }

  /** Streams an operation's messages as they come, then ends; its failure goes through fail(). */
  async run(op: (send: (msg: object) => void) => Promise<unknown>): Promise<void> {
    try {
      await op((m) => this.send(m));
      this.start();
    } catch (e) {
      this.fail(e);
    }
    this.end();
  }
}
