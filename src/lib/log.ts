// Minimal leveled logger for berthd (stderr). Debug output only with BERTH_DEBUG=1 or --debug.
type Level = 'debug' | 'info' | 'warn' | 'error';
let debugEnabled = process.env.BERTH_DEBUG === '1';

export function setDebug(on: boolean): void {
  debugEnabled = on;
}

function emit(level: Level, msg: string, fields?: Record<string, unknown>): void {
  if (level === 'debug' && !debugEnabled) return;
  const extra = fields
    ? ' ' +
      Object.entries(fields)
        .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
        .join(' ')
    : '';
  process.stderr.write(`${new Date().toISOString()} ${level.toUpperCase()} ${msg}${extra}\n`);
}

export const log = {
  debug: (m: string, f?: Record<string, unknown>) => emit('debug', m, f),
  info: (m: string, f?: Record<string, unknown>) => emit('info', m, f),
  warn: (m: string, f?: Record<string, unknown>) => emit('warn', m, f),
  error: (m: string, f?: Record<string, unknown>) => emit('error', m, f),
};
