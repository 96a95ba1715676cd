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

const USAGE = `Usage:  berth registry serve --root DIR [--addr HOST:PORT] [--htpasswd FILE]
                             [--token-key KEY.pem --token-access FILE [--token-realm URL]]
                             [--tls-cert CERT --tls-key KEY] [--read-only] [--debug]
        berth registry gc --root DIR [--dry-run] [--grace MINUTES]
`;

export function parseAddr(addr: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(addr);
  if (!m) throw new Error(`invalid --addr ${JSON.stringify(addr)}: want HOST:PORT`);
  const port = Number(m[3]);
  if (port > 65535) throw new Error(`invalid port in --addr ${addr}`);
  return { host: m[1] ?? (m[2] || '0.0.0.0'), port };
}

async function serve(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      addr: { type: 'string', default: '127.0.0.1:5000' },
      root: { type: 'string' },
      htpasswd: { type: 'string' },
      'token-key': { type: 'string' },
      'token-access': { type: 'string' },
      'token-realm': { type: 'string' },
      'token-service': { type: 'string' },
      'tls-cert': { type: 'string' },
      'tls-key': { type: 'string' },
      'read-only': { type: 'boolean', default: false },
      debug: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (!values.root) throw new Error('--root is required');
  if (values.debug) setDebug(true);
  if (!!values['tls-cert'] !== !!values['tls-key']) throw new Error('--tls-cert and --tls-key go together');
  const { host, port } = parseAddr(values.addr!);
  const storage = await RegistryStorage.open(values.root);
  const uploads = new Uploads(storage);
  const recovered = await uploads.recover();
  const tls = values['tls-cert'] ? { cert: await readFile(values['tls-cert']), key: await readFile(values['tls-key']!) } : undefined;
  const server = createRegistryServer({ storage, uploads, readOnly: values['read-only'], ...(tls ? { tls } : {}) });
  const bound = await server.listenTcp(port, host);
  const url = `${tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${bound}`;
  log.info('registry listening', { url, root: values.root, readOnly: values['read-only'], uploadsRecovered: recovered });
  await new Promise<void>((resolve) => {
    const stop = () => void server.close().then(resolve);
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
  return 0;
}

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    if (cmd === 'serve') return await serve(rest);
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
  main(process.argv.slice(2)).then((code) => process.exit(code), (e: unknown) => {
    process.stderr.write(`${(e as Error)?.stack ?? String(e)}\n`);
    process.exit(1);
  });
}
