// Docker's credential helper protocol: a program `docker-credential-<name>` on the PATH, run
// with one verb. `get` reads a server URL on stdin and prints {"ServerURL","Username","Secret"};
// `store` reads that JSON; `erase` reads a server URL; `list` prints {url: username}. A helper
// that has nothing for the server prints "credentials not found in native keychain" and exits
// non-zero: that is "no credentials", not a failure.
import { spawn } from 'node:child_process';

export interface HelperCredentials {
  ServerURL: string;
  Username: string;
  Secret: string;
}

const NOT_FOUND = 'credentials not found in native keychain';
const MAX_OUTPUT = 1 << 20;

export class CredentialHelperError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CredentialHelperError';
  }
}

function runHelper(name: string, verb: 'get' | 'store' | 'erase' | 'list', input: string, env: NodeJS.ProcessEnv): Promise<{ code: number; out: string }> {
  const program = `docker-credential-${name}`;
  return new Promise((resolve, reject) => {
    const child = spawn(program, [verb], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let size = 0;
    const collect = (c: Buffer) => {
      size += c.length;
      if (size <= MAX_OUTPUT) out.push(c);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect); // docker's client reads the helper's combined output
    child.once('error', (e: NodeJS.ErrnoException) =>
      reject(new CredentialHelperError(e.code === 'ENOENT' ? `exec: "${program}": executable file not found in $PATH` : `${program}: ${e.message}`)),
    );
    child.once('close', (code) => resolve({ code: code ?? 1, out: Buffer.concat(out).toString('utf8').trim() }));
    child.stdin.on('error', () => {}); // a helper that exits without reading its input
    child.stdin.end(input);
  });
}

/** The helper's credentials for `serverURL`, or undefined when it has none. */
export async function helperGet(name: string, serverURL: string, env: NodeJS.ProcessEnv): Promise<HelperCredentials | undefined> {
  const r = await runHelper(name, 'get', serverURL, env);
  if (r.code !== 0) {
    if (r.out.includes(NOT_FOUND)) return undefined;
    throw new CredentialHelperError(`error getting credentials - err: exit status ${r.code}, out: \`${r.out}\``);
  }
  let v: unknown;
  try {
    v = JSON.parse(r.out);
  } catch {
    throw new CredentialHelperError(`error getting credentials - err: invalid JSON from docker-credential-${name}`);
  }
  const o = (typeof v === 'object' && v !== null ? v : {}) as Record<string, unknown>;
  const str = (k: string) => (typeof o[k] === 'string' ? (o[k] as string) : '');
  if (!str('Username') && !str('Secret')) return undefined;
  return { ServerURL: str('ServerURL') || serverURL, Username: str('Username'), Secret: str('Secret') };
}

export async function helperStore(name: string, c: HelperCredentials, env: NodeJS.ProcessEnv): Promise<void> {
  const r = await runHelper(name, 'store', JSON.stringify(c), env);
  if (r.code !== 0) throw new CredentialHelperError(`error storing credentials - err: exit status ${r.code}, out: \`${r.out}\``);
}

export async function helperErase(name: string, serverURL: string, env: NodeJS.ProcessEnv): Promise<void> {
  const r = await runHelper(name, 'erase', serverURL, env);
  if (r.code !== 0 && !r.out.includes(NOT_FOUND)) throw new CredentialHelperError(`error erasing credentials - err: exit status ${r.code}, out: \`${r.out}\``);
}
