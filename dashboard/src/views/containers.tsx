// Containers: every container (running or not) with its state, health, uptime and published
// ports; lifecycle buttons go through the same Engine routes `berth stop` uses.
import type { ContainerSummary } from '../../../src/api/types/index.js';
import { api } from '../api.js';
import { containerName, healthOf, shortId } from '../format.js';
import { useLive } from '../live.js';
import { Action, Loading, StateBadge, Table } from '../ui.js';

export function ContainerActions(props: { c: ContainerSummary }) {
  const { c } = props;
  const id = c.Id;
  const running = c.State === 'running';
  const paused = c.State === 'paused';
  return (
    <span class="actions">
      {!running && !paused && <Action label="Start" action={() => api.containerStart(id)} />}
      {running && <Action label="Stop" action={() => api.containerStop(id)} />}
      {(running || paused) && <Action label="Restart" action={() => api.containerRestart(id)} />}
      {running && <Action label="Pause" action={() => api.containerPause(id)} />}
      {paused && <Action label="Unpause" action={() => api.containerUnpause(id)} />}
      <Action
        label="Remove"
        danger
        confirm={`Remove container ${containerName(c.Names, id)}${running ? ' (it is running: it will be killed)' : ''}?`}
        action={() => api.containerRemove(id, { force: true })}
      />
    </span>
  );
}

export function Ports(props: { c: ContainerSummary }) {
  const seen = new Set<string>();
  const ports = (props.c.Ports ?? []).filter((p) => {
    const k = `${p.PublicPort}/${p.PrivatePort}/${p.Type}`;
    if (seen.has(k)) return false; // the IPv4 and IPv6 bindings of one port
    seen.add(k);
    return true;
  });
  return (
    <span class="ports">
      {ports.map((p) =>
        p.PublicPort && p.Type === 'tcp' ? (
          <a key={`${p.PublicPort}-${p.PrivatePort}`} href={`http://${location.hostname}:${p.PublicPort}/`} target="_blank" rel="noopener noreferrer">
            {p.PublicPort}→{p.PrivatePort}
          </a>
        ) : (
          <span key={`${p.PrivatePort}-${p.Type}`}>
            {p.PublicPort ? `${p.PublicPort}→` : ''}
            {p.PrivatePort}/{p.Type}
          </span>
        ),
      )}
    </span>
  );
}

export function ContainersView() {
  const { data, error } = useLive(() => api.containerList({ all: true }), ['container'], [], 30_000);
  if (!data) return <Loading error={error} />;
  return (
    <section>
      <h2>
        Containers{' '}
        <span class="count">
          {data.filter((c) => c.State === 'running').length} running / {data.length}
        </span>
      </h2>
      <Table
        head={['Name', 'Image', 'State', 'Health', 'Status', 'Ports', '']}
        rows={data.length}
        empty="No containers. Try `berth run -d busybox sleep 600`."
        testid="containers"
      >
        {data.map((c) => {
          const name = containerName(c.Names, c.Id);
          return (
            <tr key={c.Id} data-name={name} data-state={c.State}>
              <td>
                <a href={`#/containers/${c.Id}`}>{name}</a>
                <div class="muted small">{shortId(c.Id)}</div>
              </td>
              <td>{c.Image}</td>
              <td>
                <StateBadge state={c.State} />
              </td>
              <td>{healthOf(c.Status) && <span class={`badge health-${healthOf(c.Status)}`}>{healthOf(c.Status)}</span>}</td>
              <td class="status">{c.Status}</td>
              <td>
                <Ports c={c} />
              </td>
              <td>
                <ContainerActions c={c} />
              </td>
            </tr>
          );
        })}
      </Table>
    </section>
  );
}
