// Volumes: name, driver, where it lives, labels (a compose project's own), remove.
import { api } from '../api.js';
import { useLive } from '../live.js';
import { Action, Loading, Table } from '../ui.js';

export function VolumesView() {
  const { data, error } = useLive(() => api.volumeList(), ['volume']);
  if (!data) return <Loading error={error} />;
  const vols = data.Volumes ?? [];
  return (
    <section>
      <h2>
        Volumes <span class="count">{vols.length}</span>
      </h2>
      <Table head={['Name', 'Driver', 'Mountpoint', 'Project', 'Created', '']} rows={vols.length} empty="No volumes." testid="volumes">
        {vols.map((v) => (
          <tr key={v.Name}>
            <td class="mono">{v.Name}</td>
            <td>{v.Driver}</td>
            <td class="mono small">{v.Mountpoint}</td>
            <td>{v.Labels?.['com.docker.compose.project'] ?? ''}</td>
            <td>{v.CreatedAt ? new Date(v.CreatedAt).toLocaleString() : ''}</td>
            <td>
              <Action label="Remove" danger confirm={`Remove volume ${v.Name}?`} action={() => api.volumeRemove(v.Name)} />
            </td>
          </tr>
        ))}
      </Table>
    </section>
  );
}
