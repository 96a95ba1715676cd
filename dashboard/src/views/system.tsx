// System: what `berth info`, `berth version` and `berth system df -v` show, with a prune button
// (and a confirm step) per kind, each the same prune route the CLI's `prune` commands call.
import type { SystemDf } from '../../../src/api/types/index.js';
import { api } from '../api.js';
import { ago, bytes, containerName, shortId } from '../format.js';
import { useLive } from '../live.js';
import { ConfirmAction, Loading, Table } from '../ui.js';
import { reclaimed } from './images.js';

export function SystemView() {
  const { data, error } = useLive(() => Promise.all([api.info(), api.version(), api.df()]), ['container', 'image', 'volume', 'network', 'builder']);
  if (!data) return <Loading error={error} />;
  const [info, version, df] = data;
  const sum = (xs: (number | undefined)[]) => xs.reduce<number>((a, b) => a + (b ?? 0), 0);
  const rows: [string, string | number][] = [
    ['Server version', version.Version],
    ['API version', `${version.ApiVersion} (minimum ${version.MinAPIVersion ?? ''})`],
    ['OS / arch', `${info.OperatingSystem} · ${version.Os}/${version.Arch}`],
    ['Kernel', info.KernelVersion],
    ['Containers', `${info.Containers} (${info.ContainersRunning} running, ${info.ContainersPaused} paused, ${info.ContainersStopped} stopped)`],
    ['Images', info.Images],
    ['Storage driver', info.Driver],
    ['Cgroup', `${info.CgroupDriver} v${info.CgroupVersion}`],
    ['Runtimes', `${Object.keys(info.Runtimes ?? {}).join(', ')} (default ${info.DefaultRuntime})`],
    ['CPUs / memory', `${info.NCPU} · ${bytes(info.MemTotal)}`],
    ['Root dir', info.DockerRootDir],
  ];
  const dfRows = [
    ['Images', df.Images?.length ?? 0, bytes(sum((df.Images ?? []).map((i) => i.Size)))],
    ['Containers', df.Containers?.length ?? 0, bytes(sum((df.Containers ?? []).map((c) => c.SizeRw)))],
    ['Local volumes', df.Volumes?.length ?? 0, bytes(sum((df.Volumes ?? []).map((v) => v.UsageData?.Size)))],
    ['Build cache', df.BuildCache?.length ?? 0, bytes(sum((df.BuildCache ?? []).map((b) => b.Size)))],
  ] as const;
  return (
    <section>
      <h2>System</h2>
      <table class="kv" data-testid="info">
        <tbody>
          {rows.map(([k, v]) => (
            <tr key={k}>
              <th>{k}</th>
              <td>{v}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h3>Disk usage</h3>
      <table data-testid="df">
        <thead>
          <tr>
            <th>Type</th>
            <th>Total</th>
            <th>Size</th>
          </tr>
        </thead>
        <tbody>
          {dfRows.map(([k, n, s]) => (
            <tr key={k}>
              <td>{k}</td>
              <td>{n}</td>
              <td>{s}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h3>Prune</h3>
      <div class="prunes" data-testid="prunes">
        <ConfirmAction
          label="Prune containers"
          question="Remove every stopped container?"
          testid="prune-containers"
          action={async () => {
            const r = await api.containerPrune();
            return reclaimed(r.SpaceReclaimed, r.ContainersDeleted?.length ?? 0, 'containers');
          }}
        />
        <ConfirmAction
          label="Prune images"
          question="Remove every image no container uses (tagged too)?"
          testid="prune-images"
          action={async () => {
            const r = await api.imagePrune({ all: true });
            return reclaimed(r.SpaceReclaimed, r.ImagesDeleted?.length ?? 0, 'image records');
          }}
        />
        <ConfirmAction
          label="Prune volumes"
          question="Remove every volume no container uses (named ones too)?"
          testid="prune-volumes"
          action={async () => {
            const r = await api.volumePrune({ all: true });
            return reclaimed(r.SpaceReclaimed, r.VolumesDeleted?.length ?? 0, 'volumes');
          }}
        />
        <ConfirmAction
          label="Prune networks"
          question="Remove every user-defined network no container uses?"
          testid="prune-networks"
          action={async () => `${(await api.networkPrune()).NetworksDeleted?.length ?? 0} networks removed`}
        />
        <ConfirmAction
          label="Prune build cache"
          question="Remove all build cache?"
          testid="prune-build-cache"
          action={async () => {
            const r = await api.buildPrune({ all: true });
            return reclaimed(r.SpaceReclaimed, r.CachesDeleted?.length ?? 0, 'cache records');
          }}
        />
      </div>
      <DfVerbose df={df} />
    </section>
  );
}

/** The four tables of `docker system df -v`. */
function DfVerbose(props: { df: SystemDf }) {
  const { df } = props;
  const images = df.Images ?? [];
  const containers = df.Containers ?? [];
  const volumes = df.Volumes ?? [];
  const cache = df.BuildCache ?? [];
  return (
    <div data-testid="df-verbose">
      <h3>Images space usage</h3>
      <Table head={['Repository:tag', 'Image ID', 'Created', 'Size', 'Shared size', 'Unique size', 'Containers']} rows={images.length}>
        {images.map((i) => (
          <tr key={i.Id}>
            <td>{(i.RepoTags ?? []).join(', ') || '<none>'}</td>
            <td class="mono">{shortId(i.Id)}</td>
            <td>{ago(i.Created)}</td>
            <td>{bytes(i.Size)}</td>
            <td>{bytes(i.SharedSize)}</td>
            <td>{i.SharedSize >= 0 ? bytes(i.Size - i.SharedSize) : '—'}</td>
            <td>{i.Containers}</td>
          </tr>
        ))}
      </Table>
      <h3>Containers space usage</h3>
      <Table head={['Container', 'Image', 'Command', 'Local volumes', 'Size', 'Created', 'Status']} rows={containers.length}>
        {containers.map((c) => (
          <tr key={c.Id} data-df-container={containerName(c.Names, c.Id)}>
            <td>{containerName(c.Names, c.Id)}</td>
            <td>{c.Image}</td>
            <td class="mono small">{c.Command}</td>
            <td>{(c.Mounts ?? []).filter((m) => m.Type === 'volume').length}</td>
            <td>{bytes(c.SizeRw)}</td>
            <td>{ago(c.Created)}</td>
            <td class="status">{c.Status}</td>
          </tr>
        ))}
      </Table>
      <h3>Local volumes space usage</h3>
      <Table head={['Volume', 'Links', 'Size']} rows={volumes.length}>
        {volumes.map((v) => (
          <tr key={v.Name} data-df-volume={v.Name}>
            <td class="mono">{v.Name}</td>
            <td>{v.UsageData?.RefCount ?? '—'}</td>
            <td>{bytes(v.UsageData?.Size)}</td>
          </tr>
        ))}
      </Table>
      <h3>Build cache usage</h3>
      <Table head={['Cache ID', 'Type', 'Size', 'Created', 'Last used', 'Usage', 'Shared']} rows={cache.length} empty="No build cache.">
        {cache.map((b) => (
          <tr key={b.ID}>
            <td class="mono">{b.ID.slice(0, 12)}</td>
            <td>{b.Type}</td>
            <td>{bytes(b.Size)}</td>
            <td>{b.CreatedAt ? new Date(b.CreatedAt).toLocaleString() : ''}</td>
            <td>{b.LastUsedAt ? new Date(b.LastUsedAt).toLocaleString() : ''}</td>
            <td>{b.UsageCount}</td>
            <td>{b.Shared ? 'true' : 'false'}</td>
          </tr>
        ))}
      </Table>
    </div>
  );
}
