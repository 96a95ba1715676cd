// docker's --env-file / --label-file rules: one VAR=VAL per line, '#' lines and blank lines
// skipped, leading whitespace trimmed, a bare VAR takes its value from the CLI's environment
// (and is dropped when unset); invalid names are an error.
import { readFileSync } from 'node:fs';

export function parseEnvFileText(text: string, env: NodeJS.ProcessEnv, file = ''): string[] {
  const out: string[] = [];
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  lines.forEach((raw, i) => {
    const line = raw.replace(/^\s+/, '');
    if (!line || line.startsWith('#')) return;
    const eq = line.indexOf('=');
    const name = eq < 0 ? line : line.slice(0, eq);
    if (!name || /\s/.test(name)) throw new Error(`variable '${name}' contains whitespaces${file ? ` (${file}:${i + 1})` : ''}`);
    if (eq >= 0) out.push(line);
    else if (env[name] !== undefined) out.push(`${name}=${env[name]}`);
  });
  return out;
}

export function readEnvFile(path: string, env: NodeJS.ProcessEnv): string[] {
  return parseEnvFileText(readFileSync(path, 'utf8'), env, path);
}

/** -e VAR=VAL as given; -e VAR takes the CLI's value, or stays bare (docker's behaviour). */
export function envFlag(v: string, env: NodeJS.ProcessEnv): string {
  if (v.includes('=')) {
    if (v.startsWith('=')) throw new Error(`invalid environment variable: ${v}`);
    return v;
  }
  return env[v] !== undefined ? `${v}=${env[v]}` : v;
}

/** --label-file lines are labels: KEY=VALUE, bare KEY = empty value. */
export function readLabelFile(path: string): string[] {
  return readFileSync(path, 'utf8')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
}
