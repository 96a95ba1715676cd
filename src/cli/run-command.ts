// Runs one command with docker's error reporting and exit statuses.
import { ApiError, ConnectError } from '../api/client/errors.js';
import { DEFAULT_CONTEXT, chooseContext, resolveHost } from '../api/client/host.js';
import { clientTls, type ClientTlsFlags } from '../api/client/tls.js';
import { StatusError } from './cli-error.js';
import { CliContext, type CommandFn, type CliIo } from './context.js';
import { processIo } from './process-io.js';

/** run reports its own create/start errors (commands/run.ts); nothing else gets the "berth:" prefix. */
const RUN_LIKE = new Set<string>();

export async function runCommand(
  fn: CommandFn,
  name: string,
  argv: string[],
  hostFlag?: string,
  io?: CliIo,
  env: NodeJS.ProcessEnv = process.env,
  tlsFlags: ClientTlsFlags = {},
  contextFlag?: string,
): Promise<number> {
  // The process's streams are built only when a command uses them (process-io.ts): text output
  // and stdin-less commands never pay for them.
  const ctx = new CliContext(resolveHost(hostFlag, env), io ?? processIo(), env);
  ctx.commandPath = name;
  try {
    const tls = clientTls(tlsFlags, env);
    if (tls) ctx.tls = tls;
    ctx.contextName = chooseContext(hostFlag, contextFlag, env);
    // the context store (and node:crypto) loads only when a named context is in use
    if (ctx.contextName !== DEFAULT_CONTEXT) await useStoredContext(ctx);
    return await fn(ctx, argv);
  } catch (e) {
    return reportError(ctx, name, e);
  } finally {
    ctx.close();
  }
}

/** Points the command at a stored context's endpoint, failing as the docker CLI does when it cannot. */
async function useStoredContext(ctx: CliContext): Promise<void> {
  const { contextEndpoint, getContext } = await import('../client/docker-contexts.js');
  try {
    const ep = contextEndpoint(ctx.env, getContext(ctx.env, ctx.contextName));
    ctx.host = ep.host;
    if (ep.tls) ctx.tls = ep.tls;
    else delete ctx.tls;
  } catch (e) {
    throw new StatusError(1, `Failed to initialize: unable to resolve docker endpoint: ${(e as Error).message}`);
  }
}

export function reportError(ctx: CliContext, name: string, e: unknown): number {
  const runLike = RUN_LIKE.has(name);
  const hint = `\n\nRun '${ctx.prog} ${name} --help' for more information`;
  if (e instanceof StatusError) {
    if (e.message) ctx.err(`${e.message}\n`);
    return e.status;
  }
  if (e instanceof ApiError || e instanceof ConnectError) {
    const msg = e instanceof ApiError ? `Error response from daemon: ${e.message}` : e.message;
    if (runLike) {
      ctx.err(`${ctx.prog}: ${msg}${hint}\n`);
      return 125;
    }
    ctx.err(`${msg}\n`);
    return 1;
  }
  const msg = e instanceof Error ? e.message : String(e);
  if (runLike) {
    ctx.err(`${ctx.prog}: ${msg}${hint}\n`);
    return 125;
  }
  ctx.err(`${msg}\n`);
  return 1;
}
