// berth-registry: the registry's composition root. `serve` opens the store under --root,
// recovers upload sessions, wires the authorizer from --htpasswd / --token-* and listens;
// `gc` sweeps unreferenced blobs. The berth CLI runs this file's bundle as a child process
// (`berth registry ...`), so the CLI itself never loads server code.
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { log, setDebug } from '../../lib/log.js';
import { messageOf } from '../../lib/errors.js';
import { RegistryStorage } from './storage.js';
import { Uploads } from './uploads.js';
import { createRegistryServer } from './server.js';
import type { Authorizer, RegistryContext } from './access.js';
import type { Route } from '../../lib/http/route.js';
import { AccessRules } from './auth/access-rules.js';
import { BasicAuthorizer, TokenAuthorizer } from './auth/authorizers.js';
import { Htpasswd } from './auth/htpasswd.js';
import { JwtKey } from './auth/jwt.js';
import { tokenRoutes } from './auth/token-route.js';
import { collectGarbage } from './gc.js';
import { parseGoDurationMs } from '../../lib/go-duration.js';

const USAGE = `Usage:  berth registry serve --root DIR [--addr HOST:PORT] [--htpasswd FILE] [--access FILE]
                             [--token-key KEY.pem [--token-realm URL] [--token-service NAME]]
                             [--tls-cert CERT --tls-key KEY] [--read-only] [--debug]
                             [--upload-max-age DURATION (default 168h: idle uploads are removed)]
        berth registry gc --root DIR [--dry-run] [--grace MINUTES (default 60)]
`;

export function parseAddr(addr: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(addr);
  if (!m) throw new Error(`invalid --addr ${JSON.stringify(addr)}: want HOST:PORT`);
  const port = Number(m[3]);
  if (port > 65535) throw new Error(`invalid port in --addr ${addr}`);
  return { host: m[1] ?? (m[2] || '0.0.0.0'), port };
}

/**
 * --token-key: Docker's token flow, with the token endpoint at /token on this listener;
 * else --htpasswd: Basic auth; else open. --access restricts accounts in both (access-rules.ts).
 */
async function authSetup(
  v: { htpasswd?: string; access?: string; 'token-key'?: string; 'token-realm'?: string; 'token-service'?: string; 'token-issuer'?: string },
  scheme: 'http' | 'https',
): Promise<{ authorizer: Authorizer | undefined; extraRoutes: Route<RegistryContext>[]; mode: string }> {
  const users = v.htpasswd ? await Htpasswd.load(v.htpasswd) : undefined;
  const rules = v.access ? await AccessRules.load(v.access) : AccessRules.allowAuthenticated();
  if (v['token-key']) {
    const key = await JwtKey.load(v['token-key']);
    const service = v['token-service'] ?? 'berth-registry';
    const issuer = v['token-issuer'] ?? 'berth-registry-token-issuer';
    const authorizer = new TokenAuthorizer({ key, service, issuer, scheme, ...(v['token-realm'] ? { realm: v['token-realm'] } : {}) });
    return { authorizer, extraRoutes: tokenRoutes({ key, users, rules, service, issuer }), mode: `token (${key.alg})` };
  }
  if (v.access && !users) throw new Error('--access needs --htpasswd (or --token-key)');
  if (users) return { authorizer: new BasicAuthorizer(users, rules), extraRoutes: [], mode: 'basic' };
  return { authorizer: undefined, extraRoutes: [], mode: 'none' };
}

async function serve(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      addr: { type: 'string', default: '127.0.0.1:5000' },
      root: { type: 'string' },
      htpasswd: { type: 'string' },
      'token-key': { type: 'string' },
      access: { type: 'string' },
      'token-issuer': { type: 'string' },
      'token-realm': { type: 'string' },
      'token-service': { type: 'string' },
      'tls-cert': { type: 'string' },
      'tls-key': { type: 'string' },
      'read-only': { type: 'boolean', default: false },
      debug: { type: 'boolean', default: false },
      'upload-max-age': { type: 'string', default: '168h' },
    },
    strict: true,
  });
  if (!values.root) throw new Error('--root is required');
  let maxAgeMs: number;
  try {
    maxAgeMs = parseGoDurationMs(values['upload-max-age']!);
  } catch {
    throw new Error(`invalid --upload-max-age ${JSON.stringify(values['upload-max-age'])}: want a duration such as 168h or 30m`);
  }
  if (!(maxAgeMs > 0)) throw new Error('--upload-max-age must be positive');
  if (values.debug) setDebug(true);
  if (!!values['tls-cert'] !== !!values['tls-key']) throw new Error('--tls-cert and --tls-key go together');
  const { host, port } = parseAddr(values.addr!);
  const storage = await RegistryStorage.open(values.root);
  const uploads = new Uploads(storage);
  const recovered = await uploads.recover();
  if (!values['read-only']) await storage.restoreCondemned(); // blobs a killed gc had renamed aside
  const tls = values['tls-cert'] ? { cert: await readFile(values['tls-cert']), key: await readFile(values['tls-key']!) } : undefined;
  const { authorizer, extraRoutes, mode } = await authSetup(values, tls ? 'https' : 'http');
  const server = createRegistryServer({ storage, uploads, readOnly: values['read-only'], authorizer, extraRoutes, ...(tls ? { tls } : {}) });
  const bound = await server.listenTcp(port, host);
  const url = `${tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${bound}`;
  log.info('registry listening', { url, root: values.root, readOnly: values['read-only'], uploadsRecovered: recovered, auth: mode });
  // Abandoned uploads: checked twice per limit (at most hourly), and once at start for those a
  // previous run left.
  const sweep = () =>
    void uploads.expire(maxAgeMs).then(
      (n) => n && log.info('expired idle uploads', { count: n, maxAge: values['upload-max-age'] }),
      (e: unknown) => log.warn('upload expiry failed', { error: messageOf(e) }),
    );
  sweep();
  const timer = setInterval(sweep, Math.max(100, Math.min(maxAgeMs / 2, 3_600_000)));
  timer.unref();
  await new Promise<void>((resolve) => {
    const stop = () => {
      clearInterval(timer);
      void server.close().then(resolve);
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
  return 0;
}

async function gc(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { root: { type: 'string' }, 'dry-run': { type: 'boolean', default: false }, grace: { type: 'string', default: '60' } },
    strict: true,
  });
  if (!values.root) throw new Error('--root is required');
  const minutes = Number(values.grace);
  if (!Number.isFinite(minutes) || minutes < 0) throw new Error(`invalid --grace ${values.grace}: want minutes`);
  const storage = await RegistryStorage.open(values.root);
  const r = await collectGarbage(storage, { dryRun: values['dry-run']!, graceMs: minutes * 60_000 });
  const verb = values['dry-run'] ? 'would delete' : 'deleted';
  for (const s of r.swept) process.stdout.write(`${verb} ${s.digest} (${s.size} bytes)\n`);
  const bytes = r.swept.reduce((n, s) => n + s.size, 0);
  process.stdout.write(
    `${r.repositories} repositories, ${r.manifests} manifests, ${r.marked} blobs in use; ${verb} ${r.swept.length} blobs (${bytes} bytes); spared ${r.spared} younger than ${minutes} minutes${r.temps ? `; removed ${r.temps} temp files` : ''}\n`,
  );
  return 0;
}

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(USAGE);
    return 0;
  }
  try {
    if (cmd === 'serve') return await serve(rest);
    if (cmd === 'gc') return await gc(rest);
    if (cmd === undefined || cmd === '--help' || cmd === '-h' || cmd === 'help') {
      process.stdout.write(USAGE);
      return 0;
    }
    process.stderr.write(`berth registry: unknown command ${JSON.stringify(cmd)}\n\n${USAGE}`);
    return 1;
  } catch (e) {
    process.stderr.write(`berth registry ${cmd}: ${messageOf(e)}\n`);
    return 1;
  }
}

if (process.argv[1] && /(?:^|\/)(?:berth-registry(?:\.js)?|main\.js)$/.test(process.argv[1]) && /registry/.test(process.argv[1])) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      process.stderr.write(`${(e as Error)?.stack ?? String(e)}\n`);
      process.exit(1);
    },
  );
}
