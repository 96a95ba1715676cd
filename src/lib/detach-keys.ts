// docker's detach key sequence (default ctrl-p,ctrl-q): parsing "ctrl-x,y" into bytes, and the
// escape proxy that watches a TTY session's stdin for it (term.NewEscapeProxy). Both sides use
// it: the CLI's attach session, and berthd's attach and exec streams (dockerd detaches too).

export const DEFAULT_DETACH_KEYS = 'ctrl-p,ctrl-q';

/** term.ToBytes: "ctrl-a" → 1, "ctrl-@" → 0, "ctrl-[" … "ctrl-_" → 27 … 31, "x" → 'x'. */
export function detachKeyBytes(keys: string): number[] {
  const out: number[] = [];
  for (const raw of keys.split(',')) {
    const k = raw.trim();
    if (k.length > 1 && k.toLowerCase().startsWith('ctrl-')) {
      const c = k.slice(5).toLowerCase();
      if (c.length !== 1) throw new Error(`Unknown character: '${k}'`);
      const code = c.charCodeAt(0);
      if (c >= 'a' && c <= 'z') out.push(code - 96);
      else if (c === '@') out.push(0);
      else if ('[\\]^_'.includes(c)) out.push(27 + '[\\]^_'.indexOf(c));
      else throw new Error(`Unknown character: '${k}'`);
    } else if (k.length === 1) out.push(k.charCodeAt(0));
    else throw new Error(`Unknown character: '${k}'`);
  }
  return out;
}

/**
 * Feeds stdin chunks through; bytes that may start the sequence are held back until they
 * either complete it (onDetach, nothing of it is forwarded) or diverge (flushed as typed).
 */
export function escapeProxy(keys: number[], forward: (b: Buffer) => void, onDetach: () => void): (chunk: Buffer) => void {
  let held: number[] = [];
  let detached = false;
  return (chunk: Buffer) => {
    if (detached) return;
    let out: number[] = [];
    for (const b of chunk) {
      if (b === keys[held.length]) {
        held.push(b);
        if (held.length === keys.length) {
          detached = true;
          if (out.length) forward(Buffer.from(out));
          onDetach();
          return;
        }
        continue;
      }
      if (held.length) {
        out = out.concat(held);
        held = [];
        if (b === keys[0]) {
          held.push(b);
          continue;
        }
      }
      out.push(b);
    }
    if (out.length) forward(Buffer.from(out));
  };
}
