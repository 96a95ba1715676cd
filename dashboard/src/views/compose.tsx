// Compose projects: the containers carrying com.docker.compose.project, grouped by project and
// service (what `berth compose ls` and `ps` read). Stop/start of a whole project go through the
// container routes; up/down/restart run Berth's compose (see api.ts composeAction) with the files
// the containers' labels name. A project taken down has no containers left to carry those
// labels, so the page remembers the files of projects it has seen (in this browser) to offer up.
import { useState } from 'preact/hooks';
import type { ContainerSummary } from '../../../src/api/types/index.js';
import { api, composeAction } from '../api.js';
import { containerName } from '../format.js';
import { useLive } from '../live.js';
import { Action, Loading, StateBadge, Table } from '../ui.js';
import { Ports } from './containers.js';

const PROJECT = 'com.docker.compose.project';
const SERVICE = 'com.docker.compose.service';
const CONFIG_FILES = 'com.docker.compose.project.config_files';
const WORKING_DIR = 'com.docker.compose.project.working_dir';
const MEMORY = 'berth.compose.projects';

interface ProjectFiles {
  configFiles: string[];
  workingDir: string | undefined;
}

function filesOf(cs: ContainerSummary[]): ProjectFiles | undefined {
  const c = cs.find((x) => x.Labels?.[CONFIG_FILES]);
  if (!c) return undefined;
  return { configFiles: c.Labels[CONFIG_FILES]!.split(',').filter(Boolean), workingDir: c.Labels[WORKING_DIR] };
}

function remembered(): Record<string, ProjectFiles> {
  try {
    return JSON.parse(localStorage.getItem(MEMORY) ?? '{}') as Record<string, ProjectFiles>;
  } catch {
    return {};
  }
}

function remember(update: (m: Record<string, ProjectFiles>) => void): void {
  const m = remembered();
  update(m);
  localStorage.setItem(MEMORY, JSON.stringify(m));
}

/** Up/down/restart of one project, with the command's output shown under it. */
function ProjectActions(props: { name: string; files: ProjectFiles | undefined; up: boolean }) {
  const [out, setOut] = useState<{ code: number; text: string } | undefined>(undefined);
  const run = (action: 'up' | 'down' | 'restart') => async () => {
    const r = await composeAction(props.name, action, props.files ?? { configFiles: [], workingDir: undefined });
    setOut({ code: r.ExitCode, text: r.Output });
    if (r.ExitCode !== 0) throw new Error(`compose ${action} exited with ${r.ExitCode}: ${r.Output.trim().split('\n').pop() ?? ''}`);
  };
  const noFiles = props.files ? undefined : 'The containers carry no compose file labels: up needs the files';
  return (
    <>
      <span class="actions">
        <Action label="Up" action={run('up')} title={noFiles ?? 'compose up -d'} />
        {props.up && <Action label="Restart" action={run('restart')} title="compose restart" />}
        {props.up && (
          <Action
            label="Down"
            danger
            confirm={`Take project ${props.name} down (remove its containers and networks)?`}
            action={run('down')}
            title="compose down"
          />
        )}
      </span>
      {out && (
        <pre class={`log small ${out.code ? 'error' : ''}`} data-testid="compose-output">
          {out.text}
        </pre>
      )}
    </>
  );
}

export function projectsOf(list: ContainerSummary[]): Map<string, ContainerSummary[]> {
  const m = new Map<string, ContainerSummary[]>();
  for (const c of list) {
    const p = c.Labels?.[PROJECT];
    if (p) m.set(p, [...(m.get(p) ?? []), c]);
  }
  return new Map([...m].sort(([a], [b]) => a.localeCompare(b)));
}

export function ComposeView() {
  const [, forgot] = useState(0);
  const { data, error } = useLive(() => api.containerList({ all: true, filters: { label: [PROJECT] } }), ['container'], [], 30_000);
  if (!data) return <Loading error={error} />;
  const projects = projectsOf(data);
  const memory = remembered();
  for (const [name, cs] of projects) {
    const f = filesOf(cs);
    if (f && JSON.stringify(memory[name]) !== JSON.stringify(f)) remember((m) => void (m[name] = f));
  }
  const down = Object.entries(remembered()).filter(([name]) => !projects.has(name));
  return (
    <section>
      <h2>
        Compose projects <span class="count">{projects.size}</span>
      </h2>
      {projects.size === 0 && down.length === 0 && <p class="muted">No compose projects. `berth compose up -d` in a folder with a compose.yaml makes one.</p>}
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
              <ProjectActions name={name} files={filesOf(cs)} up />
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
      {down.map(([name, files]) => (
        <div class="project" key={name} data-project={name}>
          <h3>
            {name} <span class="badge state-exited">down</span>
            <ProjectActions name={name} files={files} up={false} />
            <span class="actions">
              <button type="button" class="link" onClick={() => (remember((m) => void delete m[name]), forgot((n) => n + 1))}>
                forget
              </button>
            </span>
          </h3>
          <p class="muted small">
            No containers. Files: <span class="mono">{files.configFiles.join(', ')}</span>
          </p>
        </div>
      ))}
    </section>
  );
}
