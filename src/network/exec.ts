// Runs the few host tools the network domain drives (ip, nft, unshare): argv only, never a
// shell; stdin carries batches so several changes cost one exec (~2 ms each).
import { spawn } from 'node:child_process';
import { internal } from '../lib/errors.js';

export async function run(cmd: string, args: string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) => reject(internal(`${cmd}: ${e.message}`, e)));
    child.on('close', (code) => {
      if (code === 0) resolve(Buffer.concat(out).toString('utf8'));
      else reject(internal(`${cmd} ${args.join(' ')} failed: ${Buffer.concat(err).toString('utf8').trim() || `exit ${code}`}`));
    });
    child.stdin.on('error', () => {});
    child.stdin.end(input ?? '');
  });
}
