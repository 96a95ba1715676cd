// Images: tags, id, size, age and how many containers use each; a detail page per image (layers,
// history, its containers), remove (refused by the Engine, with its message, while a container
// uses the image), prune with a confirm step, and a link to the build view.
import { api } from '../api.js';
import { ago, bytes, shortId } from '../format.js';
import { useLive } from '../live.js';
import { Action, ConfirmAction, Loading, Table } from '../ui.js';

export function reclaimed(n: number | undefined, count: number, what: string): string {
  return `${count} ${what} removed, ${bytes(n ?? 0)} reclaimed`;
}

export function ImagesView() {
  const { data, error } = useLive(() => api.imageList(), ['image', 'container']);
  if (!data) return <Loading error={error} />;
  const rows = [...data].sort((a, b) => b.Created - a.Created);
  return (
    <section>
      <h2>
        Images <span class="count">{rows.length}</span>
        <span class="actions">
          <a class="button" href="#/images/build">
            Build…
          </a>{' '}
          <ConfirmAction
            label="Prune dangling"
            question="Remove every untagged image no container uses?"
            testid="prune-dangling"
            action={async () => {
              const r = await api.imagePrune();
              return reclaimed(r.SpaceReclaimed, r.ImagesDeleted?.length ?? 0, 'image records');
            }}
          />{' '}
          <ConfirmAction
            label="Prune unused"
            question="Remove every image no container uses, tagged or not?"
            testid="prune-unused"
            action={async () => {
              const r = await api.imagePrune({ all: true });
              return reclaimed(r.SpaceReclaimed, r.ImagesDeleted?.length ?? 0, 'image records');
            }}
          />
        </span>
      </h2>
      <Table head={['Tags', 'Id', 'Size', 'Created', 'Containers', '']} rows={rows.length} empty="No images." testid="images">
        {rows.map((i) => {
          const tags = (i.RepoTags ?? []).filter((t) => t !== '<none>:<none>');
          return (
            <tr key={i.Id} data-image={tags[0] ?? shortId(i.Id)}>
              <td>
                <a href={`#/images/${encodeURIComponent(i.Id)}`}>
                  {tags.length ? tags.map((t) => <div key={t}>{t}</div>) : <span class="muted">&lt;none&gt;</span>}
                </a>
              </td>
              <td class="mono">{shortId(i.Id)}</td>
              <td>{bytes(i.Size)}</td>
              <td>{ago(i.Created)}</td>
              <td>{i.Containers >= 0 ? i.Containers : ''}</td>
              <td>
                <Action label="Remove" danger confirm={`Remove image ${tags[0] ?? shortId(i.Id)}?`} action={() => api.imageRemove(tags[0] ?? i.Id)} />
              </td>
            </tr>
          );
        })}
      </Table>
    </section>
  );
}
