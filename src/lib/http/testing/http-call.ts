// For tests of HTTP servers: one request over TCP, its answer read whole, and a throwaway
// node:http server that answers one handler on a loopback port.
import { createServer, request, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HttpReply {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

export function httpCall(port: number, method: string, path: string, body?: string): Promise<HttpReply> {
  return new Promise((resolve, reject) => {
    const req = request({ port, host: '127.0.0.1', method, path }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Serves `handle` on a loopback port for one GET / and returns the reply. */
export async function answerOnce(handle: (req: IncomingMessage, res: ServerResponse) => void): Promise<HttpReply> {
  const server = createServer(handle);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    return await httpCall((server.address() as AddressInfo).port, 'GET', '/');
  } finally {
    server.close();
  }
}
