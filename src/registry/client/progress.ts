// Pull progress as Docker's jsonmessage objects. The daemon renders the bar itself ("progress")
// and also sends the numbers ("progressDetail") for clients that draw their own.
import { humanSize } from '../../lib/go-units.js';

export interface PullMessage {
  status: string;
  id?: string;
  progressDetail?: { current?: number; total?: number };
  progress?: string;
}

export type OnPullMessage = (m: PullMessage) => void;

/** Docker's JSONProgress.String() at the daemon's width: "[====>     ]  1.2MB/3.4MB". */
export function progressBar(current: number, total: number): string {
  if (current <= 0 && total <= 0) return '';
  if (total <= 0) return humanSize(current).padStart(8);
  const pct = Math.min(50, Math.floor(Math.floor((current / total) * 100) / 2));
  const bar = `[${'='.repeat(pct)}>${' '.repeat(Math.max(0, 50 - pct))}] `;
  const numbers = current > total ? humanSize(current).padStart(8) : `${humanSize(current).padStart(8)}/${humanSize(total)}`;
  return bar + numbers;
}

export function progressMessage(status: string, id: string, current: number, total: number): PullMessage {
  return { status, id, progressDetail: { current, total }, progress: progressBar(current, total) };
}

/** Rate-limits per-chunk progress to one message per interval (the last one always goes out via flush). */
export function throttled(send: (current: number) => void, intervalMs = 100): { update(current: number): void; flush(): void } {
  let last = 0;
  let pending: number | undefined;
  return {
    update(current) {
      const now = Date.now();
      if (now - last >= intervalMs) {
        last = now;
        pending = undefined;
        send(current);
      } else pending = current;
    },
    flush() {
      if (pending !== undefined) send(pending);
      pending = undefined;
    },
  };
}
