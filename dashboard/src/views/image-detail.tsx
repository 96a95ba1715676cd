// One image: its tags, layers (RootFS) and history (GET /images/{id}/history, what `docker
// history` prints), the containers made from it, remove. And the build view: a Dockerfile typed
// in the page plus files picked in the browser, packed into a tar context here and sent to
// POST /build, whose log streams into the page.
import { useRef, useState } from 'preact/hooks';
import type { JsonMessage } from '../../../src/api/types/index.js';
import { api } from '../api.js';
import { ago, bytes, containerName, shortId } from '../format.js';
import { useLive } from '../live.js';
import { writeTar, type TarInput } from '../tar.js';
import { Action, Loading, StateBadge, Table } from '../ui.js';

export function ImageDetail(props: { id: string }) {
  const { data, error } = useLive(
    () => Promise.all([api.imageInspect(props.id), api.imageHistory(props.id), api.containerList({ all: true, filters: { ancestor: [props.id] } })]),
    ['image', 'container'],
    [props.id],
  );
  if (!data) {
    return (
      <section>
        <p>
          <a href="#/images">← Images</a>
        </p>
        <Loading error={error} />
      </section>
    );
  }
  const [img, history, users] = data;
  const tags = img.RepoTags ?? [];
  return (
    <section>
      <p>
        <a href="#/images">← Images</a>
      </p>
      <h2 data-testid="image-title">{tags[0] ?? shortId(img.Id)}</h2>
      <p class="muted">
        {shortId(img.Id)} · {bytes(img.Size)} · {img.Os}/{img.Architecture} · created {img.Created ? new Date(img.Created).toLocaleString() : '—'}
      </p>
      <Action
        label="Remove"
        danger
        confirm={`Remove image ${tags[0] ?? shortId(img.Id)}?`}
        action={async () => {
          await api.imageRemove(tags[0] ?? img.Id);
          location.hash = '#/images';
        }}
      />
      <h3>Containers using it</h3>
      <Table head={['Container', 'State', 'Status']} rows={users.length} empty="No container uses this image." testid="image-containers">
        {users.map((c) => (
          <tr key={c.Id}>
            <td>
              <a href={`#/containers/${c.Id}`}>{containerName(c.Names, c.Id)}</a>
            </td>
            <td>
              <StateBadge state={c.State} />
            </td>
            <td class="status">{c.Status}</td>
          </tr>
        ))}
      </Table>
      <h3>History</h3>
      <Table head={['Layer', 'Created', 'Created by', 'Size', 'Comment']} rows={history.length} testid="image-history">
        {history.map((h, i) => (
          <tr key={i}>
            <td class="mono small">{h.Id === '<missing>' ? <span class="muted">&lt;missing&gt;</span> : shortId(h.Id)}</td>
            <td>{ago(h.Created)}</td>
            <td class="mono small wrap">{h.CreatedBy}</td>
            <td>{bytes(h.Size)}</td>
            <td class="small">{h.Comment}</td>
          </tr>
        ))}
      </Table>
      <h3>Layers</h3>
      <ol class="mono small" data-testid="image-layers">
        {(img.RootFS?.Layers ?? []).map((l) => (
          <li key={l}>{l}</li>
        ))}
      </ol>
    </section>
  );
}

const DEFAULT_DOCKERFILE = 'FROM busybox\nCOPY . /app\nCMD ["ls", "/app"]\n';

/** The context: the Dockerfile from the text area, then the picked files at the context's root. */
export async function buildContext(dockerfile: string, files: File[]): Promise<Uint8Array> {
  const entries: TarInput[] = [{ name: 'Dockerfile', data: new TextEncoder().encode(dockerfile) }];
  for (const f of files) {
    if (f.name === 'Dockerfile') continue; // the text area's wins
    entries.push({ name: f.webkitRelativePath || f.name, data: new Uint8Array(await f.arrayBuffer()) });
  }
  return writeTar(entries);
}

function messageText(m: JsonMessage<{ ID?: string }>): string {
  if (m.error) return `ERROR: ${m.errorDetail?.message ?? m.error}\n`;
  if (m.stream) return m.stream;
  if (m.aux?.ID) return `Built ${m.aux.ID}\n`;
  if (m.status) return `${m.id ? `${m.id}: ` : ''}${m.status}${m.progress ? ` ${m.progress}` : ''}\n`;
  return '';
}

export function BuildView() {
  const [dockerfile, setDockerfile] = useState(DEFAULT_DOCKERFILE);
  const [tag, setTag] = useState('');
  const [noCache, setNoCache] = useState(false);
  const [files, setFiles] = useState<File[]>([]);
  const [log, setLog] = useState('');
  const [state, setState] = useState<'idle' | 'building' | 'done' | 'failed'>('idle');
  const abort = useRef<AbortController | undefined>(undefined);
  const build = async () => {
    abort.current?.abort();
    const ac = new AbortController();
    abort.current = ac;
    setLog('');
    setState('building');
    let failed = false;
    try {
      const tar = await buildContext(dockerfile, files);
      setLog(`Sending build context (${bytes(tar.length)}) to the daemon\n`);
      for await (const m of api.imageBuild(tar, { t: tag.trim() || undefined, nocache: noCache || undefined }, ac.signal)) {
        if (m.error) failed = true;
        const t = messageText(m);
        if (t) setLog((l) => l + t);
      }
      setState(failed ? 'failed' : 'done');
    } catch (e) {
      if (ac.signal.aborted) return;
      setLog((l) => `${l}ERROR: ${e instanceof Error ? e.message : String(e)}\n`);
      setState('failed');
    }
  };
  return (
    <section>
      <p>
        <a href="#/images">← Images</a>
      </p>
      <h2>Build an image</h2>
      <div class="build-form">
        <label>
          Tag <input type="text" value={tag} placeholder="name:tag" aria-label="Image tag" onInput={(e) => setTag((e.target as HTMLInputElement).value)} />
        </label>
        <label>
          <input type="checkbox" checked={noCache} onChange={(e) => setNoCache((e.target as HTMLInputElement).checked)} /> no cache
        </label>
        <label class="block">
          Dockerfile
          <textarea
            rows={10}
            spellcheck={false}
            aria-label="Dockerfile"
            value={dockerfile}
            onInput={(e) => setDockerfile((e.target as HTMLTextAreaElement).value)}
          />
        </label>
        <label class="block">
          Files for the context (optional; placed at its root)
          <input type="file" multiple aria-label="Context files" onChange={(e) => setFiles([...((e.target as HTMLInputElement).files ?? [])])} />
        </label>
        <button type="button" disabled={state === 'building'} onClick={() => void build()}>
          {state === 'building' ? 'Building…' : 'Build'}
        </button>{' '}
        <span data-testid="build-state" class={`badge state-${state === 'done' ? 'running' : state === 'failed' ? 'exited' : 'created'}`}>
          {state}
        </span>
      </div>
      <pre class="log" data-testid="build-log">
        {log}
      </pre>
    </section>
  );
}
