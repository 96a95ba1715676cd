// What every command receives: streams, environment, the daemon address, a lazy client.
import { DockerClient } from '../api/client/docker-client.js';
import type { ClientTls } from '../api/client/tls.js';

import type { StdIo } from '../client/std-io.js';

/**
 * The CLI's streams: the client layer's StdIo, plus writers for text when the streams are the
 * process's own (process-io.ts writes them without building the streams).
 */
export type CliIo = StdIo & { out?: (s: string | Uint8Array) => void; err?: (s: string | Uint8Array) => void };

export class CliContext {
  private client?: DockerClient;
  /** The command path as invoked, e.g. "container ls" (usage texts print it). */
  commandPath?: string;
  /** TLS for a tcp:// daemon (the global --tls/--tlsverify flags or DOCKER_TLS_VERIFY). */
  tls?: ClientTls;
  /** The docker context in use ('default': -H / DOCKER_HOST / Berth's socket). */
  contextName = 'default';
  /** The default context's daemon (what -H / DOCKER_HOST name), whichever context is in use. */
  readonly defaultHost: string;
  constructor(
    public host: string,
    readonly io: CliIo,
    readonly env: NodeJS.ProcessEnv = process.env,
    readonly prog = 'berth',
  ) {
    this.defaultHost = host;
  }
  get docker(): DockerClient {
    return (this.client ??= new DockerClient(this.host, undefined, this.tls));
  }
  out(s: string | Uint8Array): void {
    if (this.io.out) this.io.out(s);
    else this.io.stdout.write(s);
  }
  err(s: string | Uint8Array): void {
    if (this.io.err) this.io.err(s);
    else this.io.stderr.write(s);
  }
  close(): void {
    this.client?.close();
  }
}

/** A command: parses its own argv (after the command name) and returns the exit status. */
export type CommandFn = (ctx: CliContext, argv: string[]) => Promise<number>;
