// A container's logs: the last 500 lines, then followed live; a search box filters the lines.
// Non-TTY logs come as Docker's multiplexed frames (stderr shown apart); TTY logs are raw.
import { useEffect, useRef, useState } from 'preact/hooks';
import { StdFrameReader } from '../../../src/api/client/browser.js';
import { api } from '../api.js';

const MAX_LINES = 5000; // a chatty container must not grow the page without bound

interface Line {
  text: string;
  err: boolean;
}

export function LogsPanel(props: { id: string; tty: boolean }) {
  const [lines, setLines] = useState<Line[]>([]);
  const [follow, setFollow] = useState(true);
  const [search, setSearch] = useState('');
  const [ended, setEnded] = useState(false);
  const box = useRef<HTMLPreElement>(null);

  useEffect(() => {
    const ac = new AbortController();
    const decoders = [new TextDecoder(), new TextDecoder(), new TextDecoder()];
    const partial = ['', '', ''];
    let batch: Line[] = [];
    let timer: ReturnType<typeof setTimeout> | undefined;
    const flush = () => {
      timer = undefined;
      const add = batch;
      batch = [];
      setLines((old) => [...old, ...add].slice(-MAX_LINES));
    };
    const take = (stream: number, data: Uint8Array) => {
      const s = stream === 2 ? 2 : 1;
      const text = partial[s] + decoders[s]!.decode(data, { stream: true });
      const parts = text.split('\n');
      partial[s] = parts.pop()!;
      for (const p of parts) batch.push({ text: p.replace(/\r$/, ''), err: s === 2 });
      timer ??= setTimeout(flush, 50);
    };
    const frames = new StdFrameReader(take);
    setLines([]);
    setEnded(false);
    (async () => {
      for await (const chunk of api.containerLogs(props.id, { follow, tail: '500' }, ac.signal)) {
        if (props.tty) take(1, chunk);
        else frames.push(chunk);
      }
    })()
      .catch(() => {})
      .finally(() => {
        if (ac.signal.aborted) return;
        for (const s of [1, 2]) if (partial[s]) batch.push({ text: partial[s]!, err: s === 2 });
        flush();
        setEnded(true);
      });
    return () => {
      ac.abort();
      if (timer) clearTimeout(timer);
    };
  }, [props.id, props.tty, follow]);

  useEffect(() => {
    if (follow && box.current) box.current.scrollTop = box.current.scrollHeight;
  }, [lines, follow]);

  const needle = search.toLowerCase();
  const shown = needle ? lines.filter((l) => l.text.toLowerCase().includes(needle)) : lines;
  return (
    <div class="logs">
      <div class="toolbar">
        <label>
          <input type="checkbox" checked={follow} onChange={(e) => setFollow((e.target as HTMLInputElement).checked)} /> follow
        </label>
        <input
          type="search"
          placeholder="Search the logs"
          value={search}
          onInput={(e) => setSearch((e.target as HTMLInputElement).value)}
          aria-label="Search the logs"
        />
        <span class="muted small">
          {needle ? `${shown.length} of ${lines.length} lines` : `${lines.length} lines`}
          {ended && follow ? ' · stream ended' : ''}
        </span>
      </div>
      <pre ref={box} class="log-lines" data-testid="logs">
        {shown.map((l, i) => (
          <div key={i} class={l.err ? 'stderr' : ''}>
            {l.text || ' '}
          </div>
        ))}
      </pre>
    </div>
  );
}
