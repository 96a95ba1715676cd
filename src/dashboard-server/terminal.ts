// The dashboard's terminal: a WebSocket (the browser cannot hijack an HTTP connection) bridged to
// an exec with a TTY on the Engine API. Binary messages are keystrokes and output; a text message
// {"resize":[cols,rows]} resizes the pty. Closing either side ends the other.
import { request, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { invalidArgument, unavailable } from '../lib/errors.js';
import type { Query } from '../lib/http/request.js';
import { hijackExec } from './engine-proxy.js';

const MAX_TERMINALS = 16;

export class TerminalBridge {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 1024 * 1024 });
  private readonly open_ = new Set<WebSocket>();

  constructor(private readonly engineSocket: string) {}

  async open(req: IncomingMessage, socket: Socket, containerId: string, query: Query): Promise<void> {
    if (this.open_.size >= MAX_TERMINALS) throw unavailable('too many terminals open');
    const cols = clamp(query.int('cols') ?? 80);
    const rows = clamp(query.int('rows') ?? 24);
    const cmd = query.str('cmd') ?? 'sh';
    if (!/^[\w./-]+$/.test(cmd)) throw invalidArgument('cmd must be one program name');
    const exec = await engineJson<{ Id: string }>(this.engineSocket, 'POST', `/containers/${encodeURIComponent(containerId)}/exec`, {
      AttachStdin: true,
      AttachStdout: true,
      AttachStderr: true,
      Tty: true,
      Cmd: [cmd],
      ConsoleSize: [rows, cols],
      Env: ['TERM=xterm-256color'],
    });
    const stream = await hijackExec(this.engineSocket, exec.Id, { Detach: false, Tty: true, ConsoleSize: [rows, cols] });
    const ws = await new Promise<WebSocket>((resolve) => this.wss.handleUpgrade(req, socket, Buffer.alloc(0), resolve));
    this.open_.add(ws);
    const pty = stream.socket;
    if (stream.head.length) ws.send(stream.head);
    pty.on('data', (d: Buffer) => ws.send(d));
    pty.on('close', () => ws.close());
    pty.on('error', () => ws.close());
    ws.on('message', (data, isBinary) => {
      if (isBinary) return void pty.write(data as Buffer);
      const msg = parseResize(data.toString());
      if (msg) void engineJson(this.engineSocket, 'POST', `/exec/${exec.Id}/resize?h=${msg.rows}&w=${msg.cols}`).catch(() => {});
    });
    ws.on('close', () => {
      this.open_.delete(ws);
      // Closing the attach does not hang up the pty (the shell would outlive the page, as after
      // a lost `docker exec -it`): ^C ends the foreground job, then ^D the shell, then we go.
      // The ^D goes apart: an interrupt flushes the tty's input queue, which would drop it.
      if (!pty.destroyed) pty.write('\x03');
      setTimeout(() => !pty.destroyed && pty.write('\x04'), 150).unref();
      setTimeout(() => pty.destroy(), 400).unref();
    });
    ws.on('error', () => pty.destroy());
  }

  closeAll(): void {
    for (const ws of this.open_) ws.terminate();
  }
}

function clamp(n: number): number {
  return Math.max(1, Math.min(1000, Math.floor(n)));
}

function parseResize(text: string): { cols: number; rows: number } | undefined {
  try {
    const m = JSON.parse(text) as { resize?: unknown };
    if (Array.isArray(m.resize) && m.resize.length === 2 && m.resize.every((n) => typeof n === 'number')) {
      return { cols: clamp(m.resize[0] as number), rows: clamp(m.resize[1] as number) };
    }
  } catch {
    // not ours: ignored
  }
  return undefined;
}

/** One JSON request to the Engine API over its socket. */
function engineJson<T>(socketPath: string, method: string, path: string, body?: object): Promise<T> {
  const text = body === undefined ? '' : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        socketPath,
        method,
        path,
        agent: false, // no kept-alive socket that berthd may close just as it is reused (see engine-proxy)
        headers: { host: 'berth-dashboard', 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const out = Buffer.concat(chunks).toString('utf8');
          if ((res.statusCode ?? 500) >= 400)
            return reject(invalidArgument((JSON.parse(out || '{}') as { message?: string }).message ?? `Engine API answered ${res.statusCode}`));
          resolve((out.trim() ? JSON.parse(out) : undefined) as T);
        });
        res.on('error', reject);
      },
    );
    req.on('error', (e) => reject(unavailable(`the Engine API is not reachable: ${e.message}`)));
    req.end(text);
  });
}
