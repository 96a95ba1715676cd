// Images: tags, id, size, age and how many containers use each; remove (refused by the Engine,
// with its message, while a container uses the image).
import { api } from '../api.js';
import { ago, bytes, shortId } from '../format.js';
import { useLive } from '../live.js';
import { Action, Loading, Table } from '../ui.js';

export function ImagesView() {
  const { data, error } = useLive(() => api.imageList(), ['image', 'container']);
  if (!data) return <Loading error={error} />;
  const rows = [...data].sort((a, b) => b.Created - a.Created);
  return (
    <section>
      <h2>
        Images <span class="count">{rows.length}</span>
      </h2>
      <Table head={['Tags', 'Id', 'Size', 'Created', 'Containers', '']} rows={rows.length} empty="No images." testid="images">
        {rows.map((i) => {
          const tags = (i.RepoTags ?? []).filter((t) => t !== '<none>:<none>');
          return (
            <tr key={i.Id}>
              <td>{tags.length ? tags.map((t) => <div key={t}>{t}</div>) : <span class="muted">&lt;none&gt;</span>}</td>
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
