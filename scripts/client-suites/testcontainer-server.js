// A stand-in for the server in the image cristianrgreco/testcontainer:1.1.14, which
// testcontainers-node's own tests run (the real image comes from Docker Hub, out of reach here).
// Same endpoints, ports and log lines, on node's own http/https (the original uses express).
const fs = require('fs');
const http = require('http');
const https = require('https');

function handler(req, res) {
  const url = new URL(req.url, 'http://x');
  const send = (status, body, type) => {
    res.writeHead(status, type ? { 'content-type': type } : {});
    res.end(body);
  };
  if (req.method === 'GET' && url.pathname === '/hello-world') return send(200, 'hello-world');
  if (req.method === 'GET' && url.pathname === '/hello-world-delay') return setTimeout(() => send(200, 'hello-world'), 3000);
  if (req.method === 'POST' && url.pathname === '/hello-world-post') return send(200, 'hello-world');
  if (req.method === 'GET' && url.pathname === '/env') return send(200, JSON.stringify(process.env), 'application/json');
  if (req.method === 'GET' && url.pathname === '/cmd') return send(200, JSON.stringify(process.argv), 'application/json');
  if (req.method === 'GET' && url.pathname === '/auth') {
    const [, b64] = (req.headers.authorization || ' ').split(' ');
    const [user, pass] = Buffer.from(b64 || '', 'base64').toString('ascii').split(':');
    return send(user === 'user' && pass === 'pass' ? 200 : 401, '');
  }
  const header = url.pathname.match(/^\/header-or-400\/(.+)$/);
  if (req.method === 'GET' && header) return send(req.headers[decodeURIComponent(header[1]).toLowerCase()] !== undefined ? 200 : 400, '');
  send(404, 'Cannot ' + req.method + ' ' + url.pathname);
}

// The original runs under dumb-init, which turns SIGTERM into an exit; as PID 1 here node would ignore it.
process.on('SIGTERM', () => process.exit(143));
process.on('SIGINT', () => process.exit(130));

http.createServer(handler).listen(8080, () => console.log('Listening on port 8080'));
https
  .createServer({ key: fs.readFileSync('/etc/ssl/private/cert.key', 'utf8'), cert: fs.readFileSync('/etc/ssl/certs/cert.crt', 'utf8') }, handler)
  .listen(8443, () => console.log('Listening on secure port 8443'));
