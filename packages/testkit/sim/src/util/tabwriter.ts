/**
 * Go's text/tabwriter as rkt configures it (minwidth 0, tabwidth 8, padding 1, padchar '\t', no flags).
 * rkt's text tables and usage texts come out of it, and their tab counts depend on the exact algorithm:
 * a column is a run of consecutive lines that have a tab-terminated cell at that index; its width is the
 * widest cell plus padding, rounded up to a tab stop.
 */
const TAB_WIDTH = 8;
const PADDING = 1;

function runeCount(s: string): number {
  return [...s].length;
}

export function tabwrite(text: string): string {
  const endsWithNewline = text.endsWith("\n");
  const rawLines = text.split("\n");
  if (endsWithNewline) rawLines.pop();
  const lines = rawLines.map((l) => l.split("\t"));
  const widths: number[] = [];
  let out = "";

  const writeLines = (line0: number, line1: number): void => {
    for (let i = line0; i < line1; i++) {
      const line = lines[i]!;
      line.forEach((cell, j) => {
        out += cell;
        if (j < widths.length) {
          const cellw = Math.ceil(widths[j]! / TAB_WIDTH) * TAB_WIDTH;
          out += "\t".repeat(Math.ceil((cellw - runeCount(cell)) / TAB_WIDTH));
        }
      });
      if (i + 1 < lines.length || endsWithNewline) out += "\n";
    }
  };

  const format = (line0In: number, line1: number): void => {
    let line0 = line0In;
    const column = widths.length;
    for (let cur = line0; cur < line1; cur++) {
      if (column >= lines[cur]!.length - 1) continue;
      writeLines(line0, cur);
      line0 = cur;
      let width = 0;
      for (; cur < line1; cur++) {
        const line = lines[cur]!;
        if (column >= line.length - 1) break;
        width = Math.max(width, runeCount(line[column]!) + PADDING);
      }
      widths.push(width);
      format(line0, cur);
      widths.pop();
      // As in Go, the loop increment skips the line that ended the block: it has no cell in this column.
      line0 = cur;
    }
    writeLines(line0, line1);
  };

  format(0, lines.length);
  return out;
}
