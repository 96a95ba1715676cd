import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { allocatePorts, portRequests } from './ports.js';

test('port specs: ranges, -P, bad input', () => {
  const r = portRequests({ '80-81/tcp': [{ hostPort: '8000-8001' }], '53/udp': [{ hostIp: '127.0.0.1', hostPort: '' }] }, true, ['80/tcp', '9000/tcp']);
  assert.deepEqual(
    r.map((x) => [x.containerPort, x.protocol, x.hostIp, x.hostRange]),
    [
      [80, 'tcp', '0.0.0.0', [8000, 8000]],
      [81, 'tcp', '0.0.0.0', [8001, 8001]],
      [53, 'udp', '127.0.0.1', [0, 0]],
      [9000, 'tcp', '0.0.0.0', [0, 0]],
    ],
  );
  assert.throws(() => portRequests({ '80/tcp': [{ hostPort: 'x' }] }), /Invalid hostPort: x/);
  // "0" is dockerd's (and testcontainers') way of asking for any free port, like "".
  assert.deepEqual(
    portRequests({ '80/tcp': [{ hostPort: '0' }], '81/tcp': [{ hostIp: '127.0.0.1', hostPort: '0-0' }] }).map((x) => x.hostRange),
    [
      [0, 0],
      [0, 0],
    ],
  );
  assert.throws(() => portRequests({ '80/sctpx': [] }), /Invalid proto/);
  assert.throws(() => portRequests({ '70000/tcp': [] }), /Invalid containerPort/);
  assert.throws(() => portRequests({ '80-82/tcp': [{ hostPort: '90-91' }] }), /Invalid ranges/);
});

test('a port held by a host process or another container is refused', async () => {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  try {
    await assert.rejects(
      allocatePorts([{ containerPort: 80, protocol: 'tcp', hostIp: '127.0.0.1', hostRange: [port, port] }], []),
      /port is already allocated/,
    );
  } finally {
    s.close();
  }
  const taken = [{ containerPort: 1, protocol: 'tcp' as const, hostIp: '0.0.0.0', hostPort: port }];
  await assert.rejects(allocatePorts([{ containerPort: 80, protocol: 'tcp', hostIp: '127.0.0.1', hostRange: [port, port] }], taken), /already allocated/);
  // UDP on the same number is a different port.
  const [m] = await allocatePorts([{ containerPort: 80, protocol: 'udp', hostIp: '127.0.0.1', hostRange: [port, port] }], taken);
  assert.equal(m!.hostPort, port);
});
