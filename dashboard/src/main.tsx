// The dashboard's entry: checks the session, follows /events, and routes by the URL's hash
// (#/containers, #/containers/<id>, ...) so every view has a link of its own.
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import './app.css';
import { logout, startSession, whenLoggedOut } from './api.js';
import { followEvents, useConnected } from './live.js';
import { setErrorReporter } from './ui.js';
import { ContainersView } from './views/containers.js';
import { ContainerDetail } from './views/container-detail.js';
import { ImagesView } from './views/images.js';
import { VolumesView } from './views/volumes.js';
import { VolumeFiles } from './views/volume-files.js';
import { BuildView, ImageDetail } from './views/image-detail.js';
import { NetworksView } from './views/networks.js';
import { ComposeView } from './views/compose.js';
import { SystemView } from './views/system.js';

const NAV = [
  ['containers', 'Containers'],
  ['compose', 'Compose'],
  ['images', 'Images'],
  ['volumes', 'Volumes'],
  ['networks', 'Networks'],
  ['system', 'System'],
] as const;

function useHash(): string[] {
  const read = () => location.hash.replace(/^#\/?/, '').split('/').filter(Boolean);
  const [parts, setParts] = useState(read);
  useEffect(() => {
    const on = () => {
      const next = read();
      setParts((prev) => (prev.join('/') === next.join('/') ? prev : next));
    };
    window.addEventListener('hashchange', on);
    // The hash may have changed between the first render and this effect (a link followed while
    // the page was still starting): that hashchange fired before anyone listened.
    on();
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return parts;
}

function View(props: { parts: string[] }) {
  const [page = 'containers', id] = props.parts;
  if (page === 'containers' && id) return <ContainerDetail id={decodeURIComponent(id)} />;
  if (page === 'volumes' && id) return <VolumeFiles name={decodeURIComponent(id)} />;
  if (page === 'images' && id === 'build') return <BuildView />;
  if (page === 'images' && id) return <ImageDetail id={decodeURIComponent(id)} />;
  switch (page) {
    case 'images':
      return <ImagesView />;
    case 'volumes':
      return <VolumesView />;
    case 'networks':
      return <NetworksView />;
    case 'compose':
      return <ComposeView />;
    case 'system':
      return <SystemView />;
    default:
      return <ContainersView />;
  }
}

function App() {
  const parts = useHash();
  const connected = useConnected();
  const [error, setError] = useState<string | undefined>(undefined);
  useEffect(() => setErrorReporter(setError), []);
  const page = parts[0] ?? 'containers';
  return (
    <div class="app">
      <header>
        <h1>⚓ Berth</h1>
        <nav>
          {NAV.map(([k, label]) => (
            <a key={k} href={`#/${k}`} class={page === k ? 'active' : ''}>
              {label}
            </a>
          ))}
        </nav>
        <span class={`live ${connected ? 'on' : 'off'}`} title="The /events stream">
          {connected ? 'live' : 'reconnecting…'}
        </span>
        <button type="button" class="link" onClick={() => void logout().then(() => location.reload())}>
          Log out
        </button>
      </header>
      {error && (
        <div class="banner" role="alert">
          {error}{' '}
          <button type="button" class="link" onClick={() => setError(undefined)}>
            dismiss
          </button>
        </div>
      )}
      <main>
        <View parts={parts} />
      </main>
    </div>
  );
}

function LoggedOut() {
  return (
    <div class="app logged-out">
      <h1>⚓ Berth</h1>
      <p>
        You are not logged in. Run <code>berth dashboard</code> on this machine and open the URL it prints.
      </p>
    </div>
  );
}

async function boot(): Promise<void> {
  const root = document.getElementById('app')!;
  root.textContent = '';
  if (!(await startSession())) return render(<LoggedOut />, root);
  whenLoggedOut(() => render(<LoggedOut />, root));
  render(<App />, root);
  void followEvents();
}

void boot().catch((e: unknown) => {
  document.getElementById('app')!.textContent = `The dashboard failed to start: ${e instanceof Error ? e.message : String(e)}`;
});
