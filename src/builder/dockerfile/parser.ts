// Dockerfile text -> AST, following BuildKit's grammar: parser directives at the top, comments,
// line continuations with the escape token, JSON/shell forms, flags and heredocs. Line numbers
// are kept for every instruction so later errors can point at the source.
import type { AstNode, Heredoc, ParsedDockerfile, ParseWarning } from './ast.js';
import { DirectiveError, DirectiveParser } from './directives.js';
import { heredocsFromLine } from './heredoc.js';
import {
  LineParseError,
  parseHealthConfig,
  parseMaybeJson,
  parseMaybeJsonToList,
  parseNameVal,
  parseStringsWhitespaceDelimited,
  parseWords,
  type LineArgs,
} from './line-parsers.js';
import { DockerfileParseError } from './parse-error.js';
import { ShellLexError } from './shell-lex.js';
import { splitCommand } from './split-command.js';

export interface ParseOptions {
  file?: string; // name used in errors (default "Dockerfile")
}

type LineParser = (rest: string, esc: string) => LineArgs;
const words = (args: string[]): LineArgs => ({ args, json: false });
const dispatch: Record<string, LineParser> = {
  add: parseMaybeJsonToList,
  arg: (r, e) => words(parseWords(r, e)),
  cmd: parseMaybeJson,
  copy: parseMaybeJsonToList,
  entrypoint: parseMaybeJson,
  env: (r, e) => words(parseNameVal(r, 'ENV', e)),
  expose: (r) => words(parseStringsWhitespaceDelimited(r)),
  from: (r) => words(parseStringsWhitespaceDelimited(r)),
  healthcheck: parseHealthConfig,
  label: (r, e) => words(parseNameVal(r, 'LABEL', e)),
  maintainer: (r) => words(r === '' ? [] : [r]),
  run: parseMaybeJson,
  shell: parseMaybeJson,
  stopsignal: (r) => words(r === '' ? [] : [r]),
  user: (r) => words(r === '' ? [] : [r]),
  volume: parseMaybeJsonToList,
  workdir: (r) => words(r === '' ? [] : [r]),
};
const heredocCommands = new Set(['add', 'copy', 'run']);

function nodeFromLine(line: string, esc: string, comments: string[]): AstNode {
  const { cmd, flags, rest } = splitCommand(line, esc);
  const base = { cmd, flags, heredocs: [] as Heredoc[], original: line, startLine: 0, endLine: 0, comments };
  const lc = cmd.toLowerCase();
  if (lc === 'onbuild') {
    if (rest === '') return { ...base, args: [], json: false };
    return { ...base, args: [], json: false, sub: nodeFromLine(rest, esc, []) };
  }
  const fn = dispatch[lc];
  // Unknown instructions parse (as one empty argument) and fail in the typed step, like BuildKit.
  const { args, json } = fn ? fn(rest, esc) : { args: [''], json: false };
  return { ...base, args, json };
}

function canContainHeredoc(n: AstNode): boolean {
  const t = n.cmd.toLowerCase() === 'onbuild' && n.sub ? n.sub : n;
  return heredocCommands.has(t.cmd.toLowerCase()) && !t.json;
}

const isComment = (l: string) => l.replace(/^\s+/u, '').startsWith('#');
const trimNewline = (l: string) => l.replace(/[\r\n]+$/, '');

/** Splits into lines that keep their `\n`, like BuildKit's scanner. */
function scanLines(text: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < text.length) {
    const j = text.indexOf('\n', i);
    if (j < 0) {
      out.push(text.slice(i));
      break;
    }
    out.push(text.slice(i, j + 1));
    i = j + 1;
  }
  return out;
}

function escapeRe(s: string): string {
  return s.replace(/[\\^$.*+?()[\]{}|`]/g, '\\$&');
}

export function parseDockerfile(input: string | Buffer, options: ParseOptions = {}): ParsedDockerfile {
  const file = options.file ?? 'Dockerfile';
  let text = typeof input === 'string' ? input : input.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const lines = scanLines(text);
  const fail = (msg: string, start: number, end = start, cause?: unknown): never => {
    throw new DockerfileParseError(msg, { file, line: start, endLine: Math.max(start, end) }, { cause });
  };

  const dp = new DirectiveParser();
  const directives: ParsedDockerfile['directives'] = {};
  let esc: '\\' | '`' = '\\';
  let contRe = /([^\\])\\[ \t]*$|^\\[ \t]*$/;
  const processLine = (raw: string, stripLeft: boolean, lineNo: number): { text: string; directive: boolean } => {
    let t = trimNewline(raw);
    if (stripLeft) t = t.replace(/^\s+/u, '');
    let directive = false;
    try {
      const d = dp.parseLine(t);
      if (d) {
        directive = true;
        directives[d.name as 'syntax'] = d.value;
        if (d.name === 'escape') {
          if (d.value !== '`' && d.value !== '\\') throw new DirectiveError(`invalid escape token '${d.value}' does not match \` or \\`);
          esc = d.value;
          const e = escapeRe(esc);
          contRe = new RegExp(`([^${e}])${e}[ \\t]*$|^${e}[ \\t]*$`);
        }
      }
    } catch (e) {
      if (e instanceof DirectiveError) fail(e.message, lineNo);
      throw e;
    }
    return { text: isComment(t) ? '' : t, directive };
  };
  const trimContinuation = (l: string): { text: string; end: boolean } =>
    contRe.test(l) ? { text: l.replace(contRe, '$1'), end: false } : { text: l, end: true };

  const nodes: AstNode[] = [];
  const warnings: ParseWarning[] = [];
  let comments: string[] = [];
  let current = 0;
  let i = 0;
  while (i < lines.length) {
    const raw = lines[i++]!;
    if (isComment(raw)) {
      const c = trimNewline(raw).replace(/^\s+/u, '').slice(1).trim();
      comments = c === '' ? [] : [...comments, c];
    }
    const first = processLine(raw, true, current + 1);
    if (first.directive) comments = comments.slice(0, -1);
    current++;
    const startLine = current;
    let { text: line, end } = trimContinuation(first.text);
    if (end && line === '') continue;
    let emptyContinuation = false;
    while (!end && i < lines.length) {
      const next = lines[i++]!;
      const p = processLine(next, false, current + 1);
      current++;
      if (isComment(next)) continue;
      if (p.text.replace(/^\s+/u, '') === '') {
        emptyContinuation = true;
        continue;
      }
      ({ text: p.text, end } = trimContinuation(p.text));
      line += p.text;
    }
    if (emptyContinuation) {
      warnings.push({
        short: 'Empty continuation line found in: ' + line,
        url: 'https://docs.docker.com/go/dockerfile/rule/no-empty-continuation/',
        line: current,
      });
    }
    let node: AstNode;
    try {
      node = nodeFromLine(line, esc, comments);
    } catch (e) {
      if (e instanceof LineParseError || e instanceof ShellLexError) fail(e.message, startLine, current, e);
      throw e;
    }
    if (canContainHeredoc(node) && line.includes('<<')) {
      let docs: ReturnType<typeof heredocsFromLine>;
      try {
        docs = heredocsFromLine(line);
      } catch (e) {
        fail(e instanceof Error ? e.message : String(e), startLine, current, e);
        throw e;
      }
      for (const h of docs) {
        let content = '';
        let terminated = false;
        while (i < lines.length) {
          const body = lines[i++]!;
          current++;
          let term = trimNewline(body);
          if (h.chomp) term = term.replace(/^\t+/, '');
          if (term === h.name) {
            terminated = true;
            break;
          }
          content += body;
        }
        if (!terminated) fail('unterminated heredoc', startLine, current);
        node.heredocs.push({ ...h, content });
      }
      if (node.sub) node.sub.heredocs = node.heredocs;
    }
    node.startLine = startLine;
    node.endLine = current;
    if (node.sub) {
      node.sub.startLine = startLine;
      node.sub.endLine = current;
    }
    nodes.push(node);
    comments = [];
  }
  if (nodes.length === 0) fail('file with no instructions', current);
  return { file, nodes, escapeToken: esc, directives, warnings };
}
