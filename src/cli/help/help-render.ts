// Renders command help the way the docker CLI does (cobra's template as docker customises it,
// and pflag's FlagUsagesWrapped), so `berth X --help` prints docker's text with the program
// name swapped. The flag table wraps to the width of the terminal on STDIN (docker asks fd 0),
// 80 columns when stdin is not a terminal.

export interface HelpEntry {
  /** Usage tail after the command path, e.g. "[OPTIONS] IMAGE [COMMAND] [ARG...]". */
  use: string;
  desc: string;
  /** e.g. "docker container run, docker run" (program name replaced when printed). */
  aliases?: string;
  /** [flag part as shown, e.g. "-a, --all" or "--format string"; usage text incl. "(default …)"]. */
  flags: [string, string][];
}

/**
 * docker: term.GetWinsize(0), else 80; pflag then wraps at width - 1. node:tty is loaded here,
 * not at the top: it loads node:net, and every command's flag parser imports this file.
 */
export function helpWidth(stdin: { isTTY?: boolean } = process.stdin): number {
  const { isatty } = process.getBuiltinModule('node:tty') as typeof import('node:tty');
  if (!isatty(0)) return 80;
  const handle = (stdin as unknown as { _handle?: { getWindowSize?: (a: number[]) => unknown } })._handle;
  const size: number[] = [];
  if (handle?.getWindowSize && !handle.getWindowSize(size) && size[0]) return size[0];
  return 80;
}

/** pflag's wrapN: split s at whitespace into a first part of at most i runes (+slop at the end). */
function wrapN(i: number, slop: number, s: string): [string, string] {
  if (i + slop > s.length) return [s, ''];
  const head = s.slice(0, i);
  const w = Math.max(head.lastIndexOf(' '), head.lastIndexOf('\t'), head.lastIndexOf('\n'));
  if (w <= 0) return [s, ''];
  const nl = head.lastIndexOf('\n');
  if (nl > 0 && nl < w) return [s.slice(0, nl), s.slice(nl + 1)];
  return [s.slice(0, w), s.slice(w + 1)];
}

/** pflag's wrap: text for a column starting at i, lines at most w wide; first line unindented. */
export function wrap(i: number, w: number, s: string): string {
  if (w === 0) return s.replaceAll('\n', '\n' + ' '.repeat(i));
  let width = w - i;
  let r = '';
  if (width < 24) {
    i = 16;
    width = w - i;
    r += '\n' + ' '.repeat(i);
  }
  if (width < 24) return s.replaceAll('\n', r);
  const slop = 5;
  width -= slop;
  const pad = '\n' + ' '.repeat(i);
  let [l, rest] = wrapN(width, slop, s);
  r += l.replaceAll('\n', pad);
  while (rest !== '') {
    let t: string;
    [t, rest] = wrapN(width, slop, rest);
    r += pad + t.replaceAll('\n', pad);
  }
  return r;
}

/** pflag FlagUsagesWrapped over already-sorted [flag part, usage] rows. */
export function flagUsages(rows: [string, string][], cols: number): string {
  const heads = rows.map(([part]) => (/^-\S, /.test(part) ? `  ${part}` : `      ${part}`));
  const maxlen = Math.max(0, ...heads.map((h) => h.length + 1));
  return rows
    .map(([, usage], k) => {
      const h = heads[k]!;
      return `${h} ${' '.repeat(maxlen - h.length)} ${wrap(maxlen + 2, cols, usage)}\n`;
    })
    .join('');
}

/** The whole `--help` text for a command invoked as `${prog} ${path}`. */
export function renderHelp(prog: string, path: string, e: HelpEntry, cols = helpWidth()): string {
  const swap = (s: string) => s.replace(/\bdocker\b/g, prog);
  let s = `Usage:  ${prog} ${path}${e.use ? ' ' + swap(e.use) : ''}\n\n${e.desc}\n`;
  if (e.aliases) s += `\nAliases:\n  ${swap(e.aliases)}\n`;
  if (e.flags.length) s += `\nOptions:\n${flagUsages(e.flags, cols - 1).trimEnd()}\n`;
  return s;
}
