// The builder's variable substitution step: which instructions and which fields Docker expands
// before running them. RUN/CMD/ENTRYPOINT/SHELL/HEALTHCHECK/ONBUILD/MAINTAINER are left alone
// (the container's shell expands them); EXPOSE splits words after substitution.
import type { Instruction, KeyValue } from './instruction-types.js';
import { DockerfileParseError } from './parse-error.js';
import { MountError, parseMount } from './run-mount.js';
import { ShellLex, ShellLexError, type EnvLookup } from './shell-lex.js';

export interface ExpandResult<T extends Instruction = Instruction> {
  instruction: T;
  /** Variables referenced that had a value / had none (for lint-like reporting). */
  matched: Set<string>;
  unmatched: Set<string>;
}

/** Returns a copy of `ins` with variables substituted from `env`, as Docker's builder does. */
export function expandInstruction<T extends Instruction>(ins: T, env: EnvLookup, escapeToken: '\\' | '`' = '\\'): ExpandResult<T> {
  const lex = new ShellLex({ escapeToken });
  const matched = new Set<string>();
  const unmatched = new Set<string>();
  const note = (r: { matched: Set<string>; unmatched: Set<string> }) => {
    r.matched.forEach((v) => matched.add(v));
    r.unmatched.forEach((v) => unmatched.add(v));
  };
  const word = (w: string): string => {
    const r = lex.process(w, env);
    note(r);
    return r.result;
  };
  const opt = (w: string | undefined) => (w === undefined ? undefined : word(w));
  const kv = (l: KeyValue[]) => l.map((p) => ({ ...p, key: word(p.key), value: word(p.value) }));
  const raw = new ShellLex({ escapeToken: '\\', skipProcessQuotes: true });
  const rawWord = (w: string) => {
    const r = raw.process(w, env);
    note(r);
    return r.result;
  };
  let out: Instruction;
  try {
    const i = ins as Instruction;
    switch (i.kind) {
      case 'env':
        out = { ...i, env: kv(i.env) };
        break;
      case 'label':
        out = { ...i, labels: kv(i.labels) };
        break;
      case 'add':
        out = {
          ...i,
          chown: opt(i.chown),
          chmod: opt(i.chmod),
          checksum: opt(i.checksum),
          sources: i.sources.map(word),
          dest: word(i.dest),
          inline: i.inline.map((f) => (f.expand ? { ...f, data: rawWord(f.data) } : f)),
        };
        break;
      case 'copy':
        out = {
          ...i,
          chown: opt(i.chown),
          chmod: opt(i.chmod),
          sources: i.sources.map(word),
          dest: word(i.dest),
          inline: i.inline.map((f) => (f.expand ? { ...f, data: rawWord(f.data) } : f)),
        };
        break;
      case 'expose':
        out = {
          ...i,
          ports: i.ports.flatMap((p) => {
            const r = lex.process(p, env);
            note(r);
            return r.words;
          }),
        };
        break;
      case 'from':
        out = { ...i, image: word(i.image), platform: opt(i.platform) };
        break;
      case 'stopsignal':
        out = { ...i, signal: word(i.signal) };
        break;
      case 'user':
        out = { ...i, user: word(i.user) };
        break;
      case 'volume':
        out = { ...i, volumes: i.volumes.map(word) };
        break;
      case 'workdir':
        out = { ...i, path: word(i.path) };
        break;
      case 'arg':
        out = { ...i, args: i.args.map((a) => ({ key: word(a.key), ...(a.value === undefined ? {} : { value: word(a.value) }) })) };
        break;
      case 'run':
        out = { ...i, mounts: i.mountSpecs.map((m) => parseMount(m, word)) };
        break;
      default:
        out = i;
    }
  } catch (e) {
    if (e instanceof ShellLexError || e instanceof MountError) {
      throw new DockerfileParseError(e.message, { file: ins.file, line: ins.startLine, endLine: ins.endLine }, { cause: e });
    }
    throw e;
  }
  return { instruction: out as T, matched, unmatched };
}
