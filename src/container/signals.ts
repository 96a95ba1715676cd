// Signal names and numbers as Docker accepts them: "SIGTERM", "TERM", "15", case-insensitive.
import { constants } from 'node:os';
import { invalidArgument } from '../lib/errors.js';

const NUMBERS = constants.signals as Record<string, number>;

export function signalNumber(sig: string | number): number {
  if (typeof sig === 'number') {
    if (!Number.isInteger(sig) || sig <= 0 || sig > 64) throw invalidArgument(`Invalid signal: ${sig}`);
    return sig;
  }
  const s = sig.trim();
  if (/^\d+$/.test(s)) return signalNumber(Number(s));
  const up = s.toUpperCase();
  const name = up.startsWith('SIG') ? up : `SIG${up}`;
  const rt = /^SIGRTMIN(?:\+(\d+))?$/.exec(name);
  if (rt) return 34 + Number(rt[1] ?? 0);
  const n = NUMBERS[name];
  if (n === undefined) throw invalidArgument(`Invalid signal: ${sig}`);
  return n;
}
