// `berth login` / `berth logout`: the daemon checks the credentials (POST /auth); the CLI keeps
// them as the docker CLI does: in the credential helper config.json names (credHelpers or
// credsStore), else base64 "user:password" under auths[<registry>] (or the registry's identity
// token in the password's place, when it issued one); push and pull find them there.
import { StatusError } from '../cli-error.js';
import type { CliContext } from '../context.js';
import { newCommand, parse } from '../flags.js';
import { configKey, removeCredentials, saveCredentials } from '../../client/registry-auth.js';

async function readAll(ctx: CliContext): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of ctx.io.stdin as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks).toString('utf8');
}

export async function login(ctx: CliContext, argv: string[]): Promise<number> {
  const c = newCommand(ctx, { name: 'login', usage: '[OPTIONS] [SERVER]', description: 'Authenticate to a registry', maxArgs: 1 })
    .option('-u, --username <string>', 'Username')
    .option('-p, --password <string>', 'Password or Personal Access Token (PAT)')
    .option('--password-stdin', 'Take the Password or Personal Access Token (PAT) from stdin');
  const p = parse<{ username?: string; password?: string; passwordStdin?: boolean }>(ctx, c, argv);
  if (!p) return 0;
  let password = p.opts.password;
  if (password !== undefined) ctx.err('WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n');
  if (p.opts.passwordStdin) {
    if (password !== undefined) throw new StatusError(1, '--password and --password-stdin are mutually exclusive');
    if (!p.opts.username) throw new StatusError(1, 'Must provide --username with --password-stdin');
    password = (await readAll(ctx)).replace(/\r?\n$/, '');
  }
  if (!p.opts.username || password === undefined) throw new StatusError(1, 'Error: Cannot perform an interactive login from a non TTY device');
  const server = p.args[0];
  const key = configKey(server);
  const r = await ctx.docker.auth({ username: p.opts.username, password, serveraddress: key });
  // A token server's identity token is kept instead of the password (docker does the same).
  const saved = await saveCredentials(key, p.opts.username, r.IdentityToken ? '' : password, ctx.env, r.IdentityToken || undefined).catch((e: Error) => {
    throw new StatusError(1, `Error saving credentials: ${e.message}`);
  });
  if (!saved.helper)
    ctx.err(
      `WARNING! Your credentials are stored unencrypted in '${saved.path}'.\nConfigure a credential helper to remove this warning. See\nhttps://docs.docker.com/go/credential-store/\n\n`,
    );
  ctx.out('Login Succeeded\n');
  return 0;
}

export async function logout(ctx: CliContext, argv: string[]): Promise<number> {
  const c = newCommand(ctx, { name: 'logout', usage: '[SERVER]', description: 'Log out from a registry', maxArgs: 1 });
  const p = parse<Record<string, never>>(ctx, c, argv);
  if (!p) return 0;
  const key = configKey(p.args[0]);
  const r = await removeCredentials(key, ctx.env);
  if (!r.removed) {
    ctx.out(`Not logged in to ${key}\n`);
    return 0;
  }
  ctx.out(`Removing login credentials for ${key}\n`);
  if (r.warning) ctx.err(`WARNING: ${r.warning}\n`);
  return 0;
}
