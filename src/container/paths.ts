// Where a container's files live under the data root. One directory per container holds its
// OCI bundle (config.json + rootfs mount point), its log, its etc files and monitor state.
import { join } from 'node:path';

export class ContainerPaths {
  constructor(readonly root: string) {}
  records(): string {
    return join(this.root, 'records');
  }
  dir(id: string): string {
    return join(this.root, id);
  }
  rootfs(id: string): string {
    return join(this.root, id, 'rootfs');
  }
  shim(id: string): string {
    return join(this.root, id, 'shim');
  }
  log(id: string): string {
    return join(this.root, id, `${id}-json.log`);
  }
  execs(id: string): string {
    return join(this.root, id, 'execs');
  }
  exec(id: string, execId: string): string {
    return join(this.root, id, 'execs', execId.slice(0, 16));
  }
  hostname(id: string): string {
    return join(this.root, id, 'hostname');
  }
  hosts(id: string): string {
    return join(this.root, id, 'hosts');
  }
  /** A read-only view mounted for one export: outside the container's dir, so rm -f during an export is not EBUSY. */
  exportView(id: string, token: string): string {
    return join(this.root, 'exports', `${id.slice(0, 12)}-${token}`);
  }
  resolvConf(id: string): string {
    return join(this.root, id, 'resolv.conf');
  }
}
