// Parser for the Go text/template subset docker's --format uses: text, actions with trim
// markers, pipelines, fields/variables, literals, parenthesised pipelines and the control
// structures if/else if/else, range (with $i, $v :=), with, and comments.

export type Arg =
  | { t: 'dot' }
  | { t: 'field'; base: Arg | null; chain: string[] } // base null = dot
  | { t: 'var'; name: string }
  | { t: 'str'; v: string }
  | { t: 'num'; v: number }
  | { t: 'bool'; v: boolean }
  | { t: 'nil' }
  | { t: 'ident'; name: string }
  | { t: 'pipe'; pipe: Pipe };
export interface Pipe {
  decl: string[];
  cmds: Arg[][];
}
export type Node =
  | { t: 'text'; s: string }
  | { t: 'action'; pipe: Pipe }
  | { t: 'if' | 'with'; pipe: Pipe; then: Node[]; else: Node[] | null }
  | { t: 'range'; pipe: Pipe; body: Node[]; else: Node[] | null };

export class TemplateError extends Error {
  constructor(message: string) {
    super(`template: ${message}`);
    this.name = 'TemplateError';
  }
}

type Tok = { k: 'str' | 'num' | 'ident' | 'field' | 'var' | 'op'; v: string };

function lexAction(src: string): Tok[] {
  const toks: Tok[] = [];
  let i = 0;
  const identAt = (j: number) => {
    const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(j));
    return m ? m[0] : '';
  };
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '"') {
      let j = i + 1;
      while (j < src.length && src[j] !== '"') j += src[j] === '\\' ? 2 : 1;
      if (j >= src.length) throw new TemplateError('unterminated quoted string');
      toks.push({ k: 'str', v: JSON.parse(src.slice(i, j + 1).replace(/\\'/g, "'")) as string });
      i = j + 1;
      continue;
    }
    if (c === '`') {
      const j = src.indexOf('`', i + 1);
      if (j < 0) throw new TemplateError('unterminated raw quoted string');
      toks.push({ k: 'str', v: src.slice(i + 1, j) });
      i = j + 1;
      continue;
    }
    if (c === '.' || c === '$') {
      let j = i + 1;
      let v = c;
      {
        const id = identAt(j);
        v += id;
        j += id.length;
      }
      while (src[j] === '.' && identAt(j + 1)) {
        const id = identAt(j + 1);
        v += '.' + id;
        j += 1 + id.length;
      }
      if (c === '.' && v === '.' && /[0-9]/.test(src[j] ?? '')) {
        /* number like .5 */
      } else {
        toks.push({ k: c === '$' ? 'var' : 'field', v });
        i = j;
        continue;
      }
    }
    const num = /^[-+]?(?:0x[0-9a-fA-F]+|[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)/.exec(src.slice(i));
    if (num && /[-+0-9.]/.test(c)) {
      toks.push({ k: 'num', v: num[0] });
      i += num[0].length;
      continue;
    }
    if (src.startsWith(':=', i)) {
      toks.push({ k: 'op', v: ':=' });
      i += 2;
      continue;
    }
    if ('()|,='.includes(c)) {
      toks.push({ k: 'op', v: c });
      i++;
      continue;
    }
    const id = identAt(i);
    if (id) {
      toks.push({ k: 'ident', v: id });
      i += id.length;
      continue;
    }
    throw new TemplateError(`unexpected "${c}" in command`);
  }
  return toks;
}

class PipeParser {
  private i = 0;
  constructor(private readonly toks: Tok[]) {}
  done(): boolean {
    return this.i >= this.toks.length;
  }
  pipe(allowDecl: boolean): Pipe {
    const decl: string[] = [];
    if (allowDecl) {
      // $v := … or $i, $v := …
      let j = this.i;
      const names: string[] = [];
      while (this.toks[j]?.k === 'var') {
        names.push(this.toks[j]!.v);
        j++;
        if (this.toks[j]?.v === ',') j++;
        else break;
      }
      if (names.length && (this.toks[j]?.v === ':=' || this.toks[j]?.v === '=')) {
        decl.push(...names);
        this.i = j + 1;
      }
    }
    const cmds: Arg[][] = [];
    let cmd: Arg[] = [];
    while (!this.done()) {
      const tk = this.toks[this.i]!;
      if (tk.v === ')' && tk.k === 'op') break;
      this.i++;
      if (tk.k === 'op' && tk.v === '|') {
        if (!cmd.length) throw new TemplateError('missing command');
        cmds.push(cmd);
        cmd = [];
        continue;
      }
      cmd.push(this.operand(tk));
    }
    if (!cmd.length) throw new TemplateError(cmds.length ? 'missing command' : 'missing value for command');
    cmds.push(cmd);
    return { decl, cmds };
  }
  private operand(tk: Tok): Arg {
    switch (tk.k) {
      case 'str':
        return { t: 'str', v: tk.v };
      case 'num':
        return { t: 'num', v: Number(tk.v) };
      case 'field':
        return tk.v === '.' ? { t: 'dot' } : { t: 'field', base: null, chain: tk.v.slice(1).split('.') };
      case 'var': {
        const [name, ...chain] = tk.v.split('.');
        const base: Arg = { t: 'var', name: name! };
        return chain.length ? { t: 'field', base, chain } : base;
      }
      case 'ident':
        if (tk.v === 'true' || tk.v === 'false') return { t: 'bool', v: tk.v === 'true' };
        if (tk.v === 'nil') return { t: 'nil' };
        return { t: 'ident', name: tk.v };
      case 'op':
        if (tk.v === '(') {
          const p = this.pipe(false);
          if (this.toks[this.i]?.v !== ')') throw new TemplateError('unclosed left paren');
          this.i++;
          const next = this.toks[this.i];
          if (next?.k === 'field' && next.v !== '.') {
            this.i++;
            return { t: 'field', base: { t: 'pipe', pipe: p }, chain: next.v.slice(1).split('.') };
          }
          return { t: 'pipe', pipe: p };
        }
    }
    throw new TemplateError(`unexpected "${tk.v}" in operand`);
  }
}

interface RawAction {
  kind: 'text';
  s: string;
}
interface CodeAction {
  kind: 'code';
  src: string;
}

function split(src: string): (RawAction | CodeAction)[] {
  const out: (RawAction | CodeAction)[] = [];
  let i = 0;
  let trimNext = false;
  while (i <= src.length) {
    const open = src.indexOf('{{', i);
    let text = src.slice(i, open < 0 ? src.length : open);
    if (trimNext) text = text.replace(/^\s+/, '');
    if (open < 0) {
      if (text) out.push({ kind: 'text', s: text });
      break;
    }
    let j = open + 2;
    const trimLeft = src[j] === '-' && /\s/.test(src[j + 1] ?? '');
    if (trimLeft) {
      text = text.replace(/\s+$/, '');
      j += 2;
    }
    if (text) out.push({ kind: 'text', s: text });
    // find the closing braces outside quotes
    let k = j;
    let q = '';
    for (; k < src.length; k++) {
      const c = src[k]!;
      if (q) {
        if (c === '\\' && q === '"') k++;
        else if (c === q) q = '';
        continue;
      }
      if (c === '"' || c === '`') {
        q = c;
        continue;
      }
      if (src.startsWith('}}', k)) break;
    }
    if (k >= src.length) throw new TemplateError('unclosed action');
    let code = src.slice(j, k);
    trimNext = /\s-$/.test(code);
    if (trimNext) code = code.slice(0, -2);
    code = code.trim();
    if (!(code.startsWith('/*') && code.endsWith('*/'))) out.push({ kind: 'code', src: code });
    i = k + 2;
  }
  return out;
}

/** Parse a template into a node tree; throws TemplateError like Go's parser would. */
export function parseTemplate(src: string): Node[] {
  const parts = split(src);
  let pos = 0;
  // Returns the nodes up to an {{else…}} or {{end}} and which one stopped it.
  function list(inBlock: boolean): { nodes: Node[]; stop: string; rest: Tok[] } {
    const nodes: Node[] = [];
    while (pos < parts.length) {
      const p = parts[pos++]!;
      if (p.kind === 'text') {
        nodes.push({ t: 'text', s: p.s });
        continue;
      }
      const toks = lexAction(p.src);
      if (!toks.length) throw new TemplateError('missing value for command');
      const head = toks[0]!;
      const kw = head.k === 'ident' ? head.v : '';
      if (kw === 'end' || kw === 'else') {
        if (!inBlock) throw new TemplateError(`unexpected {{${kw}}}`);
        return { nodes, stop: kw, rest: toks.slice(1) };
      }
      if (kw === 'if' || kw === 'with' || kw === 'range') nodes.push(block(kw, toks.slice(1)));
      else if (kw === 'define' || kw === 'template' || kw === 'block') throw new TemplateError(`{{${kw}}} is not supported`);
      else nodes.push({ t: 'action', pipe: parsePipe(toks, true) });
    }
    if (inBlock) throw new TemplateError('unexpected EOF');
    return { nodes, stop: 'eof', rest: [] };
  }
  function block(kw: 'if' | 'with' | 'range', toks: Tok[]): Node {
    const pipe = parsePipe(toks, true);
    const body = list(true);
    let elseNodes: Node[] | null = null;
    if (body.stop === 'else') {
      if (body.rest.length && body.rest[0]!.v === kw && kw !== 'range') {
        elseNodes = [block(kw, body.rest.slice(1))]; // else if / else with: shares our {{end}}
      } else {
        const e = list(true);
        if (e.stop !== 'end') throw new TemplateError('expected end; found else');
        elseNodes = e.nodes;
      }
    }
    if (kw === 'range') return { t: 'range', pipe, body: body.nodes, else: elseNodes };
    return { t: kw, pipe, then: body.nodes, else: elseNodes };
  }
  return list(false).nodes;
}

function parsePipe(toks: Tok[], allowDecl: boolean): Pipe {
  const p = new PipeParser(toks);
  const pipe = p.pipe(allowDecl);
  if (!p.done()) throw new TemplateError('unexpected ")" in command');
  return pipe;
}
