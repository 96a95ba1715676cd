// `--change` of docker import/commit: Dockerfile instructions applied to an image config
// (moby's BuildFromConfig). Allowed: CMD ENTRYPOINT ENV EXPOSE HEALTHCHECK LABEL ONBUILD USER
// VOLUME WORKDIR STOPSIGNAL. Pure: config in, new config out.
import { posix } from 'node:path';
import { invalidArgument } from '../lib/errors.js';
import { parseGoDurationNs } from '../lib/go-duration.js';
import type { ImageRuntimeConfig } from './image-config.js';

const ALLOWED = new Set(['cmd', 'entrypoint', 'env', 'expose', 'healthcheck', 'label', 'onbuild', 'user', 'volume', 'workdir', 'stopsignal']);
const KNOWN = new Set([...ALLOWED, 'from', 'run', 'copy', 'add', 'arg', 'shell', 'maintainer']);

const parseError = (line: number, msg: string) => invalidArgument(`dockerfile parse error on line ${line}: ${msg}`);

/** JSON exec form when the text is a JSON array of strings, else undefined (shell form). */
function jsonForm(text: string): string[] | undefined {
  if (!text.startsWith('[')) return undefined;
  try {
    const v: unknown = JSON.parse(text);
    return Array.isArray(v) && v.every((x) => typeof x === 'string') ? v : undefined;
  } catch {
    return undefined;
  }
}

/** $VAR, ${VAR}, ${VAR:-word}, ${VAR:+word} against the config's environment; `\$` escapes. */
export function expand(text: string, env: string[]): string {
  const lookup = (k: string) => {
    for (let i = env.length - 1; i >= 0; i--) if (env[i]!.startsWith(k + '=')) return env[i]!.slice(k.length + 1);
    return undefined;
  };
  return text.replace(/\\\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::([-+])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (m, b, op, word, plain) => {
    if (m === '\\$') return '$';
    const v = lookup(b ?? plain);
    if (op === '-') return v ? v : word;
    if (op === '+') return v ? word : '';
    return v ?? '';
  });
}

/** Splits `a=b "c d"=e f='g h'` into words, honouring quotes and backslashes. */
export function splitWords(text: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quote: string | null = null;
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === quote) quote = null;
      else if (c === '\\' && quote === '"' && i + 1 < text.length) cur += text[++i];
      else cur += c;
    } else if (c === '"' || c === "'") (quote = c), (inWord = true);
    else if (c === '\\' && i + 1 < text.length) (cur += text[++i]), (inWord = true);
    else if (/\s/.test(c)) {
      if (inWord) out.push(cur);
      cur = '';
      inWord = false;
    } else (cur += c), (inWord = true);
  }
  if (quote) throw invalidArgument(`unexpected end of statement while looking for matching ${quote}`);
  if (inWord) out.push(cur);
  return out;
}

/** ENV/LABEL pairs: `k=v ...` or the legacy `k v with spaces`. */
function pairs(text: string, what: string, line: number): [string, string][] {
  const words = splitWords(text);
  if (!words.length) throw parseError(line, `${what} requires at least one argument`);
  if (!words[0]!.includes('=')) {
    const m = /^(\S+)\s+(.*)$/s.exec(text.trim());
    if (!m) throw parseError(line, `${what} must have two arguments`);
    return [[m[1]!, splitWords(m[2]!).join(' ')]];
  }
  return words.map((w) => {
    const i = w.indexOf('=');
    if (i <= 0) throw parseError(line, `${what} names can not be blank`);
    return [w.slice(0, i), w.slice(i + 1)];
  });
}

function setEnv(env: string[], k: string, v: string): string[] {
  return [...env.filter((e) => !e.startsWith(k + '=')), `${k}=${v}`];
}

/** Applies `changes` (one instruction each) to a copy of `base`. */
export function applyChanges(base: ImageRuntimeConfig, changes: string[], defaultShell = ['/bin/sh', '-c']): ImageRuntimeConfig {
  const cfg: ImageRuntimeConfig = structuredClone(base);
  let cmdSet = false;
  changes.forEach((raw, idx) => {
    const line = idx + 1;
    const text = raw.trim();
    if (!text || text.startsWith('#')) return;
    const m = /^(\S+)\s*(.*)$/s.exec(text)!;
    const instr = m[1]!.toLowerCase();
    const args = m[2]!.trim();
    if (!KNOWN.has(instr)) throw parseError(line, `unknown instruction: ${m[1]!.toUpperCase()}`);
    if (!ALLOWED.has(instr)) throw invalidArgument(`${m[1]!.toUpperCase()} is not a valid change command`);
    const env = cfg.Env ?? [];
    const shell = cfg.Shell ?? defaultShell;
    const cmdLike = () => jsonForm(args) ?? [...shell, args];
    switch (instr) {
      case 'cmd':
        cfg.Cmd = cmdLike();
        cmdSet = true;
        break;
      case 'entrypoint':
        cfg.Entrypoint = args === '' ? null : cmdLike();
        if (!cmdSet) cfg.Cmd = null;
        break;
      case 'env':
        for (const [k, v] of pairs(args, 'ENV', line)) cfg.Env = setEnv(cfg.Env ?? [], k, expand(v, env));
        break;
      case 'label':
        cfg.Labels = { ...(cfg.Labels ?? {}) };
        for (const [k, v] of pairs(args, 'LABEL', line)) cfg.Labels[expand(k, env)] = expand(v, env);
        break;
      case 'expose': {
        cfg.ExposedPorts = { ...(cfg.ExposedPorts ?? {}) };
        for (const p of splitWords(expand(args, env))) {
          if (!/^\d+(-\d+)?(\/(tcp|udp|sctp))?$/i.test(p)) throw invalidArgument(`invalid containerPort: ${p}`);
          cfg.ExposedPorts[p.includes('/') ? p.toLowerCase() : `${p}/tcp`] = {};
        }
        break;
      }
      case 'user':
        if (!args) throw parseError(line, 'USER requires exactly one argument');
        cfg.User = expand(args, env);
        break;
      case 'workdir':
        if (!args) throw parseError(line, 'WORKDIR requires exactly one argument');
        cfg.WorkingDir = posix.resolve(cfg.WorkingDir || '/', expand(args, env));
        break;
      case 'volume': {
        const vols = jsonForm(args) ?? splitWords(args);
        if (!vols.length) throw parseError(line, 'VOLUME requires at least one argument');
        cfg.Volumes = { ...(cfg.Volumes ?? {}) };
        for (const v of vols) cfg.Volumes[expand(v, env)] = {};
        break;
      }
      case 'stopsignal': {
        const sig = expand(args, env);
        if (!/^(SIG)?[A-Z0-9+-]+$/i.test(sig)) throw invalidArgument(`Invalid signal: ${sig}`);
        cfg.StopSignal = sig;
        break;
      }
      case 'onbuild': {
        const inner = /^(\S+)/.exec(args)?.[1]?.toUpperCase();
        if (!inner) throw parseError(line, 'ONBUILD requires at least one argument');
        if (inner === 'ONBUILD') throw invalidArgument("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
        if (inner === 'FROM' || inner === 'MAINTAINER') throw invalidArgument(`${inner} isn't allowed as an ONBUILD trigger`);
        cfg.OnBuild = [...(cfg.OnBuild ?? []), args];
        break;
      }
      case 'healthcheck':
        cfg.Healthcheck = parseHealthcheck(args, shell);
        break;
    }
  });
  return cfg;
}

/** HEALTHCHECK [--interval=..] [--timeout=..] [--start-period=..] [--retries=N] CMD ... | NONE */
function parseHealthcheck(args: string, shell: string[]): ImageRuntimeConfig['Healthcheck'] {
  let rest = args;
  const hc: NonNullable<ImageRuntimeConfig['Healthcheck']> = {};
  for (let m = /^--([a-z-]+)=(\S+)\s*/.exec(rest); m; m = /^--([a-z-]+)=(\S+)\s*/.exec(rest)) {
    rest = rest.slice(m[0].length);
    if (m[1] === 'interval') hc.Interval = Number(parseGoDurationNs(m[2]!));
    else if (m[1] === 'timeout') hc.Timeout = Number(parseGoDurationNs(m[2]!));
    else if (m[1] === 'start-period') hc.StartPeriod = Number(parseGoDurationNs(m[2]!));
    else if (m[1] === 'start-interval') hc.StartInterval = Number(parseGoDurationNs(m[2]!));
    else if (m[1] === 'retries') hc.Retries = Number(m[2]);
    else throw invalidArgument(`Unknown flag: ${m[1]}`);
  }
  const kw = /^(\S+)\s*(.*)$/s.exec(rest);
  const typ = kw?.[1]?.toUpperCase();
  if (typ === 'NONE') return { Test: ['NONE'] };
  if (typ !== 'CMD') throw invalidArgument(`Unknown type "${typ ?? ''}" in HEALTHCHECK (try CMD)`);
  const cmd = kw![2]!.trim();
  const j = jsonForm(cmd);
  hc.Test = j ? ['CMD', ...j] : ['CMD-SHELL', cmd];
  void shell;
  return hc;
}
