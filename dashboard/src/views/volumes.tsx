// Volumes: name, driver, size and the containers that use each (from `system df -v`'s answer and
// the container list's mounts), a link to browse the files, remove.
import { api } from '../api.js';
import { bytes, containerName } from '../format.js';
import { useLive } from '../live.js';
import { Action, Loading, Table } from '../ui.js';

export function VolumesView() {
  const { data, error } = useLive(() => Promise.all([api.dfVerbose(['volume']), api.containerList({ all: true })]), ['volume', 'container']);
  if (!data) return <Loading error={error} />;
  const [df, containers] = data;
  const vols = [...(df.Volumes ?? [])].sort((a, b) => a.Name.localeCompare(b.Name));
  const users = (name: string) => containers.filter((c) => (c.Mounts ?? []).some((m) => m.Type === 'volume' && m.Name === name));
  return (
    <section>
      <h2>
        Volumes <span class="count">{vols.length}</span>
      </h2>
      <Table head={['Name', 'Driver', 'Size', 'Used by', 'Project', 'Created', '']} rows={vols.length} empty="No volumes." testid="volumes">
        {vols.map((v) => (
          <tr key={v.Name} data-volume={v.Name}>
            <td class="mono">
              <a href={`#/volumes/${encodeURIComponent(v.Name)}`} title="Browse the volume's files">
                {v.Name}
              </a>
            </td>
            <td>{v.Driver}</td>
            <td>{bytes(v.UsageData?.Size)}</td>
            <td>
              {users(v.Name).map((c) => (
                <div key={c.Id}>
                  <a href={`#/containers/${c.Id}`}>{containerName(c.Names, c.Id)}</a>
                </div>
              ))}
            </td>
            <td>{v.Labels?.['com.docker.compose.project'] ?? ''}</td>
            <td>{v.CreatedAt ? new Date(v.CreatedAt).toLocaleString() : ''}</td>
            <td>
              <a class="button" href={`#/volumes/${encodeURIComponent(v.Name)}`}>
                Browse
              </a>{' '}
              <Action label="Remove" danger confirm={`Remove volume ${v.Name}?`} action={() => api.volumeRemove(v.Name)} />
            </td>
          </tr>
        ))}
      </Table>
    </section>
  );
}
