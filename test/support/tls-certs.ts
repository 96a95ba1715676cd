// Throw-away PKI for TLS tests, made with openssl in a temp dir: a CA, a server certificate for
// 127.0.0.1/localhost and a client certificate (P-256 keys: quick to make). Each call makes a new
// CA, so two calls give certificates that do not trust each other.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);

export interface TestPki {
  dir: string;
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];

export async function makePki(dir: string, name: string): Promise<TestPki> {
  const p = (f: string) => join(dir, `${name}-${f}`);
  await execFileP('openssl', ['req', '-x509', ...EC, '-keyout', p('ca-key.pem'), '-out', p('ca.pem'), '-days', '2', '-subj', `/CN=${name}-ca`]);
  const leaf = async (who: string, ext: string) => {
    await writeFile(p(`${who}.ext`), ext);
    await execFileP('openssl', ['req', ...EC, '-keyout', p(`${who}-key.pem`), '-out', p(`${who}.csr`), '-subj', `/CN=${name}-${who}`]);
    await execFileP('openssl', [
      'x509',
      '-req',
      '-in',
      p(`${who}.csr`),
      '-CA',
      p('ca.pem'),
      '-CAkey',
      p('ca-key.pem'),
      '-CAcreateserial',
      '-days',
      '2',
      '-out',
      p(`${who}-cert.pem`),
      '-extfile',
      p(`${who}.ext`),
    ]);
  };
  await leaf('server', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  await leaf('client', 'extendedKeyUsage=clientAuth\n');
  return {
    dir,
    ca: p('ca.pem'),
    serverCert: p('server-cert.pem'),
    serverKey: p('server-key.pem'),
    clientCert: p('client-cert.pem'),
    clientKey: p('client-key.pem'),
  };
}
