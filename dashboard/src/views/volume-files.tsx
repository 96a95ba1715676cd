// A volume's files. The Engine API has no route for a volume's content, so the page does what
// Docker Desktop does: a short-lived helper container with the volume mounted (read-only, at
// /volume), created but never started, browsed and downloaded through the archive API, and
// removed when the page leaves. Never started means no process, no network and nothing that can
// write the volume; every step is an ordinary Engine API call the daemon logs and emits events for.
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api.js';
import { Loading } from '../ui.js';
import { FileBrowser } from './files.js';

export const HELPER_LABEL = 'berth.dashboard.volume-browser';
const MOUNT = '/volume';

/** Any local image will do (the helper never runs): one a container of the volume uses, else the first. */
async function helperImage(volume: string): Promise<string> {
  const users = await api.containerList({ all: true, filters: { volume: [volume] } });
  if (users[0]) return users[0].ImageID;
  const images = await api.imageList();
  if (!images[0]) throw new Error('no local image to make a helper container from: pull or build one');
  return images[0].Id;
}

async function removeHelpers(volume: string): Promise<void> {
  const stale = await api.containerList({ all: true, filters: { label: [`${HELPER_LABEL}=${volume}`] } });
  await Promise.all(stale.map((c) => api.containerRemove(c.Id, { force: true }).catch(() => {})));
}

async function createHelper(volume: string): Promise<string> {
  await api.volumeInspect(volume); // a bind of an unknown name would create the volume
  await removeHelpers(volume); // one left over by a page that closed without cleaning up
  const r = await api.containerCreate({
    Image: await helperImage(volume),
    Entrypoint: ['/nonexistent-never-started'],
    Cmd: [],
    Labels: { [HELPER_LABEL]: volume },
    NetworkDisabled: true,
    HostConfig: { Binds: [`${volume}:${MOUNT}:ro`], NetworkMode: 'none' },
  });
  return r.Id;
}

export function VolumeFiles(props: { name: string }) {
  const [helper, setHelper] = useState<string | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  useEffect(() => {
    let id: string | undefined;
    let gone = false;
    createHelper(props.name).then(
      (h) => {
        id = h;
        if (gone) void api.containerRemove(h, { force: true }).catch(() => {});
        else setHelper(h);
      },
      (e: unknown) => setError(e instanceof Error ? e.message : String(e)),
    );
    // Closing the tab skips the effect's cleanup: a keepalive request outlives the page (else the
    // helper would keep the volume "in use" until the next visit removes it).
    const onHide = () => id && void api.containerRemove(id, { force: true, keepalive: true }).catch(() => {});
    window.addEventListener('pagehide', onHide);
    return () => {
      gone = true;
      window.removeEventListener('pagehide', onHide);
      if (id) void api.containerRemove(id, { force: true }).catch(() => {});
    };
  }, [props.name]);
  return (
    <section>
      <p>
        <a href="#/volumes">← Volumes</a>
      </p>
      <h2 data-testid="volume-title">Volume {props.name}</h2>
      <p class="muted small">Read through a helper container that mounts the volume read-only and is never started; it is removed when you leave.</p>
      {helper ? <FileBrowser id={helper} root={MOUNT} label={props.name} /> : <Loading error={error} />}
    </section>
  );
}
