// Go's text/tabwriter (left-aligned, space padding) with docker's settings: minwidth 10,
// padding 3. Cells are tab-terminated; the last cell of a line is not aligned. Column blocks
// are runs of consecutive lines that have a cell in that column, exactly as Go computes them.

const width = (s: string) => [...s].length;

export function tabwrite(text: string, minwidth = 10, padding = 3): string {
  const trailingNl = text.endsWith('\n');
  const lines = (trailingNl ? text.slice(0, -1) : text).split('\n').map((l) => l.split('\t'));
  const out: string[] = [];
  const widths: number[] = [];

  function writeLines(line0: number, line1: number): void {
    for (let i = line0; i < line1; i++) {
      const line = lines[i]!;
      let s = '';
      line.forEach((cell, j) => {
        s += cell;
        if (j < widths.length && j < line.length - 1) s += ' '.repeat(Math.max(0, widths[j]! - width(cell)));
      });
      out.push(s);
    }
  }

  function format(line0: number, line1: number): void {
    const column = widths.length;
    for (let cur = line0; cur < line1; cur++) {
      if (column >= lines[cur]!.length - 1) continue;
      writeLines(line0, cur);
      line0 = cur;
      let w = minwidth;
      let discardable = true;
      for (; cur < line1; cur++) {
        const line = lines[cur]!;
        if (column >= line.length - 1) break;
        const cw = width(line[column]!);
        if (cw + padding > w) w = cw + padding;
        if (cw > 0) discardable = false;
      }
      void discardable; // docker does not set DiscardEmptyColumns
      widths.push(w);
      format(line0, cur);
      widths.pop();
      line0 = cur;
      cur--; // the outer loop's increment revisits `cur`, as Go's loop does after the block
    }
    writeLines(line0, line1);
  }

  format(0, lines.length);
  return out.join('\n') + (trailingNl ? '\n' : '');
}
