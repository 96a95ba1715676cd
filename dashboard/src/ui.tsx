// Small shared pieces: the error banner, action buttons that show progress and errors, tables.
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';

let reportError: (msg: string) => void = () => {};
export function setErrorReporter(f: (msg: string) => void): void {
  reportError = f;
}

/** A button that runs `action`, disables itself meanwhile and reports a failure in the banner. */
export function Action(props: { label: string; action: () => Promise<unknown>; danger?: boolean; confirm?: string; title?: string }) {
  const [busy, setBusy] = useState(false);
  const run = async () => {
    if (props.confirm && !window.confirm(props.confirm)) return;
    setBusy(true);
    try {
      await props.action();
    } catch (e) {
      reportError(`${props.label}: ${e instanceof Error ? e.message : String(e)}`);
    } finally {
      setBusy(false);
    }
  };
  return (
    <button type="button" class={props.danger ? 'danger' : ''} disabled={busy} onClick={run} title={props.title ?? props.label}>
      {busy ? '…' : props.label}
    </button>
  );
}

export function Table(props: { head: string[]; children: ComponentChildren; empty?: string; rows: number; testid?: string }) {
  return (
    <table data-testid={props.testid}>
      <thead>
        <tr>
          {props.head.map((h) => (
            <th key={h}>{h}</th>
          ))}
        </tr>
      </thead>
      <tbody>
        {props.children}
        {props.rows === 0 && (
          <tr>
            <td colSpan={props.head.length} class="empty">
              {props.empty ?? 'Nothing here.'}
            </td>
          </tr>
        )}
      </tbody>
    </table>
  );
}

export function StateBadge(props: { state: string }) {
  return <span class={`badge state-${props.state}`}>{props.state}</span>;
}

export function Loading(props: { error?: string | undefined }) {
  return props.error ? <p class="error">{props.error}</p> : <p class="muted">Loading…</p>;
}

/**
 * A destructive action with a confirm step in the page (not window.confirm): the first click
 * shows what will happen and asks again; `done` shows the Engine's answer (what was reclaimed).
 */
export function ConfirmAction(props: { label: string; question: string; action: () => Promise<string>; testid?: string }) {
  const [asking, setAsking] = useState(false);
  const [result, setResult] = useState<string | undefined>(undefined);
  return (
    <span class="confirm" data-testid={props.testid}>
      {!asking ? (
        <button type="button" class="danger" onClick={() => (setAsking(true), setResult(undefined))}>
          {props.label}
        </button>
      ) : (
        <span class="asking">
          {props.question}{' '}
          <Action
            label="Confirm"
            danger
            action={async () => {
              try {
                setResult(await props.action());
              } finally {
                setAsking(false);
              }
            }}
          />{' '}
          <button type="button" onClick={() => setAsking(false)}>
            Cancel
          </button>
        </span>
      )}
      {result && <span class="muted small result"> {result}</span>}
    </span>
  );
}
