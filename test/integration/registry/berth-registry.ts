// Test support: Berth's own registry as a real process (bin/berth-registry, or `bin/berth
// registry serve`), on 127.0.0.1 with a port the kernel picks (read back from its log line),
// over a temp root that can outlive the process (restart and kill -9 tests reuse it).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, pushBlobTo, pushManifestTo } from './registry-harness.js';

export class BerthRegistry {
  private constructor(
    readonly root: string,
    readonly port: number,
    readonly proc: ChildProcess,
    readonly logs: string[],
    private readonly ownsRoot: boolean,
    readonly scheme: 'http' | 'https',
    private readonly auth?: string,
  ) {}

  get host(): string {
    return `127.0.0.1:${this.port}`;
  }
  get url(): string {
    return `${this.scheme}://${this.host}`;
  }

  /** Starts the server; `viaCli` runs it as `berth registry serve` (the CLI spawns the bundle). */
  static async start(o: { root?: string; args?: string[]; viaCli?: boolean; auth?: { user: string; password: string } } = {}): Promise<BerthRegistry> {
    const root = o.root ?? (await mkdtemp(join(tmpdir(), `berth-reg-${process.pid}-`)));
    const entry = o.viaCli ? [join(ROOT, 'bin/berth'), 'registry', 'serve'] : [join(ROOT, 'bin/berth-registry'), 'serve'];
    const proc = spawn(process.execPath, [...entry, '--addr', '127.0.0.1:0', '--root', root, ...(o.args ?? [])], { stdio: ['ignore', 'pipe', 'pipe'] });
    const logs: string[] = [];
    proc.stdout!.on('data', (c: Buffer) => logs.push(c.toString()));
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`registry did not come up: ${logs.join('')}`)), 15_000);
      let buf = '';
      proc.stderr!.on('data', (c: Buffer) => {
        logs.push(c.toString());
        buf += c.toString();
        const m = /registry listening url=(\S+)/.exec(buf);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      });
      proc.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`registry exited ${code}: ${logs.join('')}`));
      });
    });
    const u = new URL(url);
    const basic = o.auth ? 'Basic ' + Buffer.from(`${o.auth.user}:${o.auth.password}`).toString('base64') : undefined;
    return new BerthRegistry(root, Number(u.port), proc, logs, o.root === undefined, u.protocol === 'https:' ? 'https' : 'http', basic);
  }

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    return this.auth ? { ...extra, Authorization: this.auth } : extra;
  }

  pushBlob(repo: string, data: Buffer): Promise<string> {
    return pushBlobTo(this.url, repo, data, this.headers());
  }

  pushManifest(repo: string, ref: string, body: Buffer, mediaType: string): Promise<string> {
    return pushManifestTo(this.url, repo, ref, body, mediaType, this.headers());
  }

  /** kill -9: no cleanup of any kind runs in the server. */
  async kill9(): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    const gone = new Promise((r) => this.proc.once('exit', r));
    this.proc.kill('SIGKILL');
    await gone;
  }

  /** SIGTERM and wait; returns the exit code. Removes the root unless the caller gave it. */
  async stop(): Promise<number | null> {
    let code: number | null = this.proc.exitCode;
    if (this.proc.exitCode === null && this.proc.signalCode === null) {
      const gone = new Promise<number | null>((r) => this.proc.once('exit', (c) => r(c)));
      this.proc.kill('SIGTERM');
      code = await gone;
    }
    if (this.ownsRoot) await rm(this.root, { recursive: true, force: true });
    return code;
  }
}
