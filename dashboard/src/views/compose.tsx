// Compose projects: the containers carrying com.docker.compose.project, grouped by project and
// service (what `berth compose ls` and `ps` read), with stop/start of a whole project through
// the same container routes the CLI uses.
import type { ContainerSummary } from '../../../src/api/types/index.js';
import { api } from '../api.js';
import { containerName } from '../format.js';
import { useLive } from '../live.js';
import { Action, Loading, StateBadge, Table } from '../ui.js';
import { Ports } from './containers.js';

const PROJECT = 'com.docker.compose.project';
const SERVICE = 'com.docker.compose.service';

export function projectsOf(list: ContainerSummary[]): Map<string, ContainerSummary[]> {
  const m = new Map<string, ContainerSummary[]>();
  for (const c of list) {
    const p = c.Labels?.[PROJECT];
    if (p) m.set(p, [...(m.get(p) ?? []), c]);
  }
  return new Map([...m].sort(([a], [b]) => a.localeCompare(b)));
}

export function ComposeView() {
  const { data, error } = useLive(() => api.containerList({ all: true, filters: { label: [PROJECT] } }), ['container'], [], 30_000);
  if (!data) return <Loading error={error} />;
  const projects = projectsOf(data);
  return (
    <section>
      <h2>
        Compose projects <span class="count">{projects.size}</span>
      </h2>
      {projects.size === 0 && <p class="muted">No compose projects. `berth compose up -d` in a folder with a compose.yaml makes one.</p>}
      {[...projects].map(([name, cs]) => {
        const running = cs.filter((c) => c.State === 'running').length;
        const sorted = [...cs].sort((a, b) => (a.Labels[SERVICE] ?? '').localeCompare(b.Labels[SERVICE] ?? ''));
        return (
          <div class="project" key={name} data-project={name}>
            <h3>
              {name}{' '}
              <span class={`badge ${running === cs.length ? 'state-running' : running ? 'state-paused' : 'state-exited'}`}>
                {running}/{cs.length} running
              </span>
              <span class="actions">
                <Action
                  label="Start project"
                  action={() => Promise.all(cs.filter((c) => c.State !== 'running' && c.State !== 'paused').map((c) => api.containerStart(c.Id)))}
                />
                <Action label="Stop project" action={() => Promise.all(cs.filter((c) => c.State === 'running').map((c) => api.containerStop(c.Id)))} />
              </span>
            </h3>
            <Table head={['Service', 'Container', 'State', 'Status', 'Ports']} rows={cs.length}>
              {sorted.map((c) => (
                <tr key={c.Id}>
                  <td>{c.Labels[SERVICE]}</td>
                  <td>
                    <a href={`#/containers/${c.Id}`}>{containerName(c.Names, c.Id)}</a>
                  </td>
                  <td>
                    <StateBadge state={c.State} />
                  </td>
                  <td class="status">{c.Status}</td>
                  <td>
                    <Ports c={c} />
                  </td>
                </tr>
              ))}
            </Table>
          </div>
        );
      })}
    </section>
  );
}
