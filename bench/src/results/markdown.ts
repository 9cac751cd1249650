import type { MachineInfo } from './result-types.js';

/** Markdown building blocks shared by every suite's report. */

export type Alignment = 'left' | 'right';

/** Pipes inside a cell would split it; newlines would end the row. */
function escapeCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

/** A GitHub-flavoured table. Numeric columns read best right-aligned: pass `align` per column. */
export function renderTable(headers: readonly string[], rows: readonly (readonly string[])[], align?: readonly Alignment[]): string {
  const separator = headers.map((_, column) => (align?.[column] === 'right' ? '---:' : '---'));
  const line = (cells: readonly string[]) => `| ${cells.map(escapeCell).join(' | ')} |`;
  for (const row of rows) {
    if (row.length !== headers.length) {
      throw new RangeError(`table row has ${row.length} cells, the header has ${headers.length}: build every row from the same column list`);
    }
  }
  return [line(headers), `| ${separator.join(' | ')} |`, ...rows.map(line)].join('\n');
}

export function renderMachine(machine: MachineInfo): string {
  const rows: string[][] = [
    ['CPU', `${machine.cpu} (${machine.cores} logical cores)`],
    ['Memory', `${machine.memory_gib} GiB`],
    ['OS', machine.os],
    ['Node', machine.node],
    ['WebGPU adapter', machine.webgpu],
    ['Date', machine.date],
    ['Load average (1 min)', `${machine.load_average.start} at start, ${machine.load_average.end} at end (${machine.cores} cores)`],
  ];
  for (const [name, version] of Object.entries(machine.versions)) rows.push([name, version]);
  return renderTable(['', ''], rows);
}
