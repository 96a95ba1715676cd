// Parser directives (`# escape=`, `# syntax=`, `# check=`): only in the leading comment block;
// the first line that is not a directive (blank line, other comment, instruction) ends it.

const directiveRe = /^([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$/;
const valid = new Set(['syntax', 'escape', 'check']);

export class DirectiveError extends Error {}

export class DirectiveParser {
  private done = false;
  private readonly seen = new Set<string>();

  /** Returns the directive on this line, or undefined (which may end the directive block). */
  parseLine(line: string): { name: string; value: string } | undefined {
    if (this.done) return undefined;
    if (!line.startsWith('#')) {
      this.done = true;
      return undefined;
    }
    const m = directiveRe.exec(line.slice(1).replace(/^\s+/u, ''));
    if (!m) {
      this.done = true;
      return undefined;
    }
    const name = m[1]!.toLowerCase();
    if (!valid.has(name)) {
      this.done = true;
      return undefined;
    }
    if (this.seen.has(name)) throw new DirectiveError(`only one ${name} parser directive can be used`);
    this.seen.add(name);
    return { name, value: m[2]! };
  }
}
