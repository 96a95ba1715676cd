// Small helpers shared by the network integration tests: free subnets, expected failures with
// their output shown, raw API calls, and bounded HTTP/UDP probes (to 127.0.0.1 only).
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { createSocket } from 'node:dgram';
import assert from 'node:assert/strict';
import type { RunResult } from '../../support/daemon.js';

/** `count` distinct 10.25x.y.0/24 prefixes ("10.251.7") that no host route uses yet. */
export function freeSubnets(count: number): string[] {
  const routes = execFileSync('ip', ['-o', '-4', 'route', 'show', 'table', 'all']).toString();
  const out: string[] = [];
  for (let i = 0; i < 500 && out.length < count; i++) {
    const p = `10.${250 + Math.floor(Math.random() * 5)}.${Math.floor(Math.random() * 256)}`;
    if (!routes.includes(`${p}.`) && !routes.includes(`10.${p.split('.')[1]}.0.0/16`) && !out.includes(p)) out.push(p);
  }
  if (out.length < count) throw new Error('no free 10.25x.y.0/24 subnets');
  return out;
}

/** Asserts a command failed and its stderr matches `re`, showing both streams otherwise. */
export function expectFail(r: RunResult, re: RegExp, what: string): void {
  assert.notEqual(r.code, 0, `${what}: expected failure, got exit 0\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  assert.match(r.stderr, re, `${what}: stderr does not match ${re}\nstderr: ${r.stderr}`);
}

/** Asserts success and returns trimmed stdout, showing stderr on failure. */
export function out(r: RunResult, what = 'command'): string {
  assert.equal(r.code, 0, `${what}: exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return r.stdout.trim();
}

export function api(socket: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const req = request(
      { socketPath: socket, method, path, headers: data ? { 'Content-Type': 'application/json', 'Content-Length': data.length } : {}, timeout: 30_000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(data);
  });
}

/** GET http://127.0.0.1:port/path, retried a bounded number of times while the server starts. */
export async function httpGet(port: number, path: string, tries = 30): Promise<string> {
  let last: unknown;
  for (let i = 0; i < tries; i++) {
    try {
      return await new Promise<string>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port, path, timeout: 2000 }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve(Buffer.concat(chunks).toString()));
        });
        req.on('timeout', () => req.destroy(new Error('timeout')));
        req.on('error', reject);
        req.end();
      });
    } catch (e) {
      last = e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw last;
}

/**
 * A UDP echo server on port 53 inside a container's network namespace. Debian's busybox nc has
 * no -u, so the server is node, entered into the container's netns with nsenter. Resolves once
 * it is bound; the caller kills the returned process.
 */
export function udpEchoIn(pid: number, port = 53): Promise<ChildProcess> {
  const code = `const s=require('dgram').createSocket('udp4');s.on('message',(m,r)=>s.send('echo:'+m,r.port,r.address));s.bind(${port},'0.0.0.0',()=>console.log('bound'));setTimeout(()=>process.exit(0),30000)`;
  const p = spawn('nsenter', [`--net=/proc/${pid}/ns/net`, process.execPath, '-e', code], { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let err = '';
    p.stderr!.on('data', (c: Buffer) => (err += c.toString()));
    p.stdout!.on('data', (c: Buffer) => c.toString().includes('bound') && resolve(p));
    p.on('exit', (c) => reject(new Error(`udp echo server exited ${c}: ${err}`)));
    setTimeout(() => reject(new Error('udp echo server did not bind')), 10_000);
  });
}

/** Sends a datagram to 127.0.0.1:port and waits (bounded) for a reply; undefined if none. */
export async function udpAsk(port: number, msg: string, tries = 5): Promise<string | undefined> {
  for (let i = 0; i < tries; i++) {
    const reply = await new Promise<string | undefined>((resolve) => {
      const s = createSocket('udp4');
      const t = setTimeout(() => (s.close(), resolve(undefined)), 1000);
      s.on('error', () => {});
      s.on('message', (m) => (clearTimeout(t), s.close(), resolve(m.toString())));
      s.send(msg, port, '127.0.0.1');
    });
    if (reply !== undefined) return reply;
  }
  return undefined;
}

/** A random port in 20000-39999 (with `span` ports after it); a clash shows as a clear test error. */
export function randomPort(span = 1): number {
  return 20000 + Math.floor(Math.random() * (20000 - span));
}
