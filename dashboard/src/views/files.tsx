// A file browser over the archive API only (no exec: a container without a shell, or a stopped
// one, browses the same): a directory's listing is the tar of GET /containers/{id}/archive read
// for its headers (bodies are skipped as they stream by), a download is that same GET as a link.
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api.js';
import { bytes } from '../format.js';
import { readTarEntries, type TarEntry } from '../tar.js';
import { Loading } from '../ui.js';

export interface DirEntry {
  name: string;
  type: TarEntry['type'];
  size: number;
  mtime: number;
  linkName: string;
}

/** Joins a directory and a child name into an absolute path. */
export function joinPath(dir: string, name: string): string {
  return `${dir.replace(/\/+$/, '')}/${name}`;
}

/**
 * The direct children of a directory from the tar of "<dir>/." (entries "./name", "./name/..."):
 * that form follows a symlinked directory and names entries the same for every path, "/" too.
 */
export function childrenOf(entries: TarEntry[]): DirEntry[] {
  const out = new Map<string, DirEntry>();
  for (const e of entries) {
    const rel = e.name.replace(/^\.\//, '').replace(/\/+$/, '');
    if (!rel || rel === '.') continue;
    const slash = rel.indexOf('/');
    // an entry below a child is enough to know the child is a directory
    if (slash >= 0) {
      const dir = rel.slice(0, slash);
      if (!out.has(dir)) out.set(dir, { name: dir, type: 'dir', size: 0, mtime: 0, linkName: '' });
      continue;
    }
    out.set(rel, { name: rel, type: e.type, size: e.size, mtime: e.mtime, linkName: e.linkName });
  }
  return [...out.values()].sort((a, b) => ((a.type === 'dir') === (b.type === 'dir') ? a.name.localeCompare(b.name) : a.type === 'dir' ? -1 : 1));
}

/** Go's os.ModeDir in the archive stat's mode. */
const MODE_DIR = 0x80000000;

/** True when `path` (a symlink, say) leads to a directory: the stat of "path/" follows it. */
export async function isDirectory(id: string, path: string): Promise<boolean> {
  try {
    return ((await api.containerArchiveStat(id, `${path}/`)).mode & MODE_DIR) !== 0;
  } catch {
    return false; // a link to a file ("not a directory") or a dangling one
  }
}

/**
 * The listing of `path` in container `id`, from the archive API. The archive of a folder holds
 * everything below it, so a big folder takes its transfer time: `progress` gets the listing so
 * far (about five times a second) while the rest streams by.
 */
export async function listDir(id: string, path: string, signal?: AbortSignal, progress?: (soFar: DirEntry[]) => void): Promise<DirEntry[]> {
  const entries: TarEntry[] = [];
  let last = Date.now();
  for await (const e of readTarEntries(api.containerArchive(id, `${path.replace(/\/+$/, '')}/.`, signal))) {
    entries.push(e);
    if (progress && Date.now() - last > 200) {
      last = Date.now();
      progress(childrenOf(entries));
    }
  }
  return childrenOf(entries);
}

function downloadName(path: string): string {
  return `${path.replace(/\/+$/, '').split('/').pop() || 'root'}.tar`;
}

/**
 * Browses `root` (and below) of container `id`. `label` names what is browsed in the breadcrumb
 * (the volume's name when `root` is where a helper container mounts it).
 */
export function FileBrowser(props: { id: string; root: string; label?: string }) {
  const [path, setPath] = useState(props.root);
  const [list, setList] = useState<DirEntry[] | undefined>(undefined);
  const [reading, setReading] = useState(false);
  const [error, setError] = useState<string | undefined>(undefined);
  useEffect(() => setPath(props.root), [props.id, props.root]);
  useEffect(() => {
    const ac = new AbortController();
    setList(undefined);
    setError(undefined);
    setReading(true);
    listDir(props.id, path, ac.signal, (soFar) => !ac.signal.aborted && setList(soFar)).then(
      (l) => (setList(l), setReading(false)),
      (e: unknown) => !ac.signal.aborted && (setError(e instanceof Error ? e.message : String(e)), setList(undefined), setReading(false)),
    );
    return () => ac.abort();
  }, [props.id, path]);
  const rel = path.slice(props.root.replace(/\/+$/, '').length).split('/').filter(Boolean);
  const crumbs = [
    { name: props.label ?? '/', path: props.root },
    ...rel.map((n, i) => ({ name: n, path: joinPath(props.root, rel.slice(0, i + 1).join('/')) })),
  ];
  return (
    <div class="files" data-testid="files">
      <p class="crumbs" data-testid="files-path">
        {crumbs.map((c, i) => (
          <span key={c.path}>
            {i > 0 && ' / '}
            <button type="button" class="link" onClick={() => setPath(c.path)}>
              {c.name}
            </button>
          </span>
        ))}{' '}
        <a class="button" href={api.containerArchiveUrl(props.id, path)} download={downloadName(path)} title="Download this folder as a tar">
          Download folder
        </a>
      </p>
      {reading && list && <p class="muted small">Still reading the folder's archive…</p>}
      {!list ? (
        <Loading error={error} />
      ) : (
        <table>
          <thead>
            <tr>
              <th>Name</th>
              <th>Size</th>
              <th>Modified</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {list.length === 0 && (
              <tr>
                <td colSpan={4} class="empty">
                  Empty folder.
                </td>
              </tr>
            )}
            {list.map((e) => {
              const p = joinPath(path, e.name);
              return (
                <tr key={e.name} data-file={e.name}>
                  <td class="mono">
                    {e.type === 'dir' ? (
                      <button type="button" class="link" onClick={() => setPath(p)}>
                        {e.name}/
                      </button>
                    ) : e.type === 'symlink' ? (
                      <span>
                        <button
                          type="button"
                          class="link"
                          title="Open if it leads to a folder"
                          onClick={() => void isDirectory(props.id, p).then((dir) => dir && setPath(p))}
                        >
                          {e.name}
                        </button>
                        <span class="muted"> → {e.linkName}</span>
                      </span>
                    ) : (
                      <span>{e.name}</span>
                    )}
                  </td>
                  <td>{e.type === 'file' ? bytes(e.size) : ''}</td>
                  <td class="small">{e.mtime ? new Date(e.mtime * 1000).toLocaleString() : ''}</td>
                  <td>
                    <a href={api.containerArchiveUrl(props.id, p)} download={downloadName(p)} title={`Download ${e.name} (tar)`}>
                      download
                    </a>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </div>
  );
}
