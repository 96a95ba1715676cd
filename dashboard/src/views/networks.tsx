// Networks: driver, subnets and the containers attached with their addresses (from inspect:
// Docker's list answer leaves the containers out), as a graph and as a table; prune.
import { api } from '../api.js';
import { useLive } from '../live.js';
import { ConfirmAction, Loading, Table } from '../ui.js';
import { NetworkGraph } from './network-graph.js';

export function NetworksView() {
  const { data, error } = useLive(async () => Promise.all((await api.networkList()).map((n) => api.networkInspect(n.Id))), ['network', 'container']);
  if (!data) return <Loading error={error} />;
  const rows = [...data].sort((a, b) => a.Name.localeCompare(b.Name));
  return (
    <section>
      <h2>
        Networks <span class="count">{rows.length}</span>
        <span class="actions">
          <ConfirmAction
            label="Prune"
            question="Remove every user-defined network no container uses?"
            testid="prune-networks"
            action={async () => `${(await api.networkPrune()).NetworksDeleted?.length ?? 0} networks removed`}
          />
        </span>
      </h2>
      <div class="graph-wrap">
        <NetworkGraph networks={rows} />
      </div>
      <Table head={['Name', 'Driver', 'Subnet', 'Containers']} rows={rows.length} testid="networks">
        {rows.map((n) => {
          const attached = Object.entries(n.Containers ?? {});
          return (
            <tr key={n.Id} data-name={n.Name}>
              <td>
                {n.Name}
                <div class="muted small">{n.Labels?.['com.docker.compose.project'] ? `compose: ${n.Labels['com.docker.compose.project']}` : ''}</div>
              </td>
              <td>{n.Driver}</td>
              <td class="mono small">
                {(n.IPAM?.Config ?? []).map((c) => (
                  <div key={c.Subnet}>{c.Subnet}</div>
                ))}
              </td>
              <td>
                {attached.length === 0 && <span class="muted">none</span>}
                {attached.map(([id, e]) => (
                  <div key={id}>
                    <a href={`#/containers/${id}`}>{e.Name}</a>{' '}
                    <span class="mono small">
                      {e.IPv4Address}
                      {e.IPv6Address ? ` ${e.IPv6Address}` : ''}
                    </span>
                  </div>
                ))}
              </td>
            </tr>
          );
        })}
      </Table>
    </section>
  );
}
