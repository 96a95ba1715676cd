// The Dockerfile AST: one node per instruction, arguments already split per instruction kind
// (BuildKit's "line parsers"), no variables expanded. `dumpAst` prints it in BuildKit's
// s-expression form, which the conformance corpus pins down.
import { goQuote, goQuoteList } from './go-quote.js';

export interface Heredoc {
  name: string; // the delimiter word, quotes removed
  fileDescriptor: number; // `3<<EOF` -> 3; 0 when not given
  expand: boolean; // false when any part of the delimiter was quoted
  chomp: boolean; // `<<-`: leading tabs are stripped
  content: string; // the body, each line with its newline
}

export interface AstNode {
  cmd: string; // instruction word as written (compare case-insensitively)
  flags: string[]; // `--name=value` words before the arguments
  args: string[]; // ENV/LABEL: key, value, separator ("=" or "") triples
  json: boolean; // the arguments were a JSON array (exec form)
  sub?: AstNode; // ONBUILD's trigger instruction
  heredocs: Heredoc[];
  original: string; // the logical line, continuations joined
  startLine: number; // 1-based
  endLine: number;
  comments: string[]; // comment lines directly above
}

export interface ParseWarning {
  short: string;
  url?: string;
  line: number;
}

export interface ParsedDockerfile {
  file: string;
  nodes: AstNode[];
  escapeToken: '\\' | '`';
  directives: { syntax?: string; escape?: string; check?: string };
  warnings: ParseWarning[];
}

export function dumpNode(n: AstNode): string {
  let s = n.cmd.toLowerCase();
  if (n.flags.length) s += ' ' + goQuoteList(n.flags);
  if (n.sub) s += ' (' + dumpNode(n.sub) + ')';
  for (const a of n.args) s += ' ' + goQuote(a);
  return s.trim();
}

/** One `(cmd "arg" ...)` line per instruction, as BuildKit's Node.Dump. */
export function dumpAst(nodes: readonly AstNode[]): string {
  return nodes.map((n) => `(${dumpNode(n)})\n`).join('');
}
