// One container: a header with its lifecycle buttons, then logs (live), inspect, top, a terminal
// and live CPU/memory charts.
import { useEffect, useState } from 'preact/hooks';
import type { ComponentType } from 'preact';
import type { ContainerSummary } from '../../../src/api/types/index.js';
import { api } from '../api.js';
import { healthOf, shortId } from '../format.js';
import { useLive } from '../live.js';
import { Loading, StateBadge } from '../ui.js';
import { ContainerActions } from './containers.js';
import { LogsPanel } from './logs.js';
import { FileBrowser } from './files.js';

// xterm.js and uPlot are most of the bundle: loaded (as chunks of the same build) only when
// their tab is opened.
function useLazy<P>(load: () => Promise<ComponentType<P>>): ComponentType<P> | undefined {
  const [C, setC] = useState<{ c: ComponentType<P> } | undefined>(undefined);
  useEffect(() => void load().then((c) => setC({ c })), []);
  return C?.c;
}

function TerminalTab(props: { id: string }) {
  const Panel = useLazy(() => import('./terminal.js').then((m) => m.TerminalPanel));
  return Panel ? <Panel id={props.id} /> : <Loading />;
}

function StatsTab(props: { id: string }) {
  const Panel = useLazy(() => import('./stats.js').then((m) => m.StatsPanel));
  return Panel ? <Panel id={props.id} /> : <Loading />;
}

const TABS = ['logs', 'inspect', 'top', 'files', 'terminal', 'stats'] as const;
type Tab = (typeof TABS)[number];

export function ContainerDetail(props: { id: string }) {
  const [tab, setTab] = useState<Tab>('logs');
  const { data, error } = useLive(() => api.containerInspect(props.id), ['container'], [props.id]);
  if (error && (!data || /No such container/.test(error))) {
    return (
      <section>
        <p>
          <a href="#/containers">← Containers</a>
        </p>
        <Loading error={error} />
      </section>
    );
  }
  if (!data) return <Loading />;
  const state = data.State.Status;
  // The summary shape the action buttons need, from inspect.
  const summary = { Id: data.Id, Names: [data.Name], State: state, Status: state } as unknown as ContainerSummary;
  const health = data.State.Health?.Status;
  return (
    <section>
      <p>
        <a href="#/containers">← Containers</a>
      </p>
      <h2 data-testid="container-title">
        {data.Name.replace(/^\//, '')} <StateBadge state={state} />{' '}
        {health && <span class={`badge health-${healthOf(`(${health})`) || health}`}>{health}</span>}
      </h2>
      <p class="muted">
        {shortId(data.Id)} · {data.Config.Image} · {(data.Config.Cmd ?? []).join(' ')}
      </p>
      <ContainerActions c={summary} />
      <nav class="tabs">
        {TABS.map((t) => (
          <button type="button" key={t} class={t === tab ? 'active' : ''} onClick={() => setTab(t)}>
            {t}
          </button>
        ))}
      </nav>
      {tab === 'logs' && <LogsPanel id={data.Id} tty={data.Config.Tty ?? false} />}
      {tab === 'inspect' && (
        <pre class="json" data-testid="inspect">
          {JSON.stringify(data, null, 2)}
        </pre>
      )}
      {tab === 'top' && <TopPanel id={data.Id} running={state === 'running' || state === 'paused'} />}
      {tab === 'files' && <FileBrowser id={data.Id} root="/" />}
      {tab === 'terminal' && (state === 'running' ? <TerminalTab id={data.Id} /> : <p class="muted">The container is not running.</p>)}
      {tab === 'stats' && (state === 'running' ? <StatsTab id={data.Id} /> : <p class="muted">The container is not running.</p>)}
    </section>
  );
}

function TopPanel(props: { id: string; running: boolean }) {
  const { data, error, reload } = useLive(
    () => (props.running ? api.containerTop(props.id) : Promise.resolve(undefined)),
    ['container'],
    [props.id, props.running],
  );
  if (!props.running) return <p class="muted">The container is not running.</p>;
  if (error) return <p class="error">{error}</p>;
  if (!data) return <Loading />;
  return (
    <div>
      <button type="button" onClick={reload}>
        Refresh
      </button>
      <table data-testid="top">
        <thead>
          <tr>
            {data.Titles.map((t) => (
              <th key={t}>{t}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {data.Processes.map((p, i) => (
            <tr key={i}>
              {p.map((v, j) => (
                <td key={j}>{v}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
