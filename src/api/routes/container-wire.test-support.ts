// Fixtures for the `ps` JSON tests: a running container on the default bridge and what the
// network domain says of its sandbox (the two test files built the same ones).
import { containerRecord } from '../../container/core-fakes.test-support.js';
import type { ContainerRecord } from '../../container/container-record.js';
import type { NetInfo } from './container-wire.js';

export function runningOnBridge(id: string): ContainerRecord {
  const base = containerRecord(id, { status: 'running' });
  return { ...base, host: { ...base.host, networkMode: 'bridge' }, endpoints: [{ network: 'bridge', aliases: [] }] };
}

/** The sandbox of a container on the default bridge, port 80/tcp published on `hostPort`. */
export function bridgeNetInfo(hostPort = '8080'): NetInfo {
  return {
    netns: { path: '/run/netns/x' },
    endpoints: [
      {
        network: 'bridge',
        networkId: 'n1',
        endpointId: 'e1',
        ip: '10.0.0.2',
        prefixLen: 24,
        gateway: '10.0.0.1',
        mac: '02:42:0a:00:00:02',
        aliases: [],
        ifName: 'eth0',
      },
    ],
    ports: { '80/tcp': [{ hostIp: '0.0.0.0', hostPort }] },
  } as unknown as NetInfo;
}
