// An interactive shell in the container: xterm.js over a WebSocket that berthd's dashboard
// listener bridges to an exec with a TTY. Resizing the panel resizes the pty.
import { useEffect, useRef, useState } from 'preact/hooks';
import { Terminal } from '@xterm/xterm';
import { FitAddon } from '@xterm/addon-fit';
import '@xterm/xterm/css/xterm.css';

export function TerminalPanel(props: { id: string }) {
  const host = useRef<HTMLDivElement>(null);
  const [cmd, setCmd] = useState('sh');
  const [session, setSession] = useState(0);
  const [status, setStatus] = useState('connecting');

  useEffect(() => {
    if (!host.current) return;
    const term = new Terminal({ cursorBlink: true, fontSize: 13, convertEol: false, theme: { background: '#111418' } });
    const fit = new FitAddon();
    term.loadAddon(fit);
    term.open(host.current);
    fit.fit();
    const proto = location.protocol === 'https:' ? 'wss' : 'ws';
    const ws = new WebSocket(
      `${proto}://${location.host}/terminal/${encodeURIComponent(props.id)}?cmd=${encodeURIComponent(cmd)}&cols=${term.cols}&rows=${term.rows}`,
    );
    ws.binaryType = 'arraybuffer';
    const enc = new TextEncoder();
    ws.onopen = () => {
      setStatus('connected');
      term.focus();
    };
    ws.onmessage = (e) => term.write(typeof e.data === 'string' ? e.data : new Uint8Array(e.data as ArrayBuffer));
    ws.onclose = () => {
      setStatus('closed');
      term.write('\r\n\x1b[2m[session ended]\x1b[0m\r\n');
    };
    const input = term.onData((d) => ws.readyState === WebSocket.OPEN && ws.send(enc.encode(d)));
    const resized = term.onResize(({ cols, rows }) => ws.readyState === WebSocket.OPEN && ws.send(JSON.stringify({ resize: [cols, rows] })));
    const observer = new ResizeObserver(() => fit.fit());
    observer.observe(host.current);
    return () => {
      observer.disconnect();
      input.dispose();
      resized.dispose();
      ws.close();
      term.dispose();
    };
  }, [props.id, session]);

  return (
    <div class="terminal">
      <div class="toolbar">
        <label>
          Program <input value={cmd} onInput={(e) => setCmd((e.target as HTMLInputElement).value)} size={12} aria-label="Program" />
        </label>
        <button type="button" onClick={() => setSession((n) => n + 1)}>
          Reconnect
        </button>
        <span class="muted small" data-testid="terminal-status">
          {status}
        </span>
      </div>
      <div ref={host} class="xterm-host" data-testid="terminal" />
    </div>
  );
}
