import { drawBarChart, formatRate, type ChartSeries, type ChartValue } from './bar-chart.js';
import type { BenchmarkShape, Measurement } from './benchmark.js';
import { element, replaceChildren } from './dom.js';

const COLORS: Record<string, string> = {
  reference: '#a39b90',
  wasm: '#e0a458',
  'wasm-threads': '#b5651d',
  webgpu: '#3b6ea5',
};

/**
 * The benchmark's results: the bar chart, redrawn as each measurement lands, and the same numbers
 * as a table (exact values, milliseconds per run, runs averaged) for reading and for the e2e test.
 */
export class BenchmarkView {
  readonly #chart: HTMLElement;
  readonly #series: ChartSeries[];
  readonly #groups: string[];
  readonly #values = new Map<string, ChartValue>();
  readonly #cells = new Map<string, HTMLTableCellElement>();

  constructor(chart: HTMLElement, table: HTMLElement, backends: { id: string; label: string }[], shapes: BenchmarkShape[]) {
    this.#chart = chart;
    this.#series = backends.map(({ id, label }) => ({ id, label, color: COLORS[id] ?? '#777' }));
    this.#groups = shapes.map((shape) => shape.label);
    const head = element('tr', {}, element('th', {}, 'shape'), ...backends.map((entry) => element('th', { class: 'number' }, `${entry.label}`)));
    const body = element('tbody', {});
    for (const shape of shapes) {
      const row = element('tr', {}, element('th', { scope: 'row' }, shape.label));
      for (const entry of backends) {
        const cell = element('td', { class: 'number', 'data-backend': entry.id, 'data-shape': shape.label, 'data-status': 'pending' }, '…');
        this.#cells.set(`${entry.id}/${shape.label}`, cell);
        row.append(cell);
      }
      body.append(row);
    }
    replaceChildren(table, element('table', {}, element('caption', { class: 'muted' }, 'GFLOP/s (milliseconds per run)'), element('thead', {}, head), body));
    this.#redraw();
  }

  add(measurement: Measurement): void {
    const key = `${measurement.backendId}/${measurement.shape}`;
    const cell = this.#cells.get(key);
    if (measurement.ok) {
      this.#values.set(key, { value: measurement.gflops });
      if (cell) {
        cell.dataset.status = 'done';
        cell.dataset.gflops = String(measurement.gflops);
        cell.textContent = `${formatRate(measurement.gflops)} (${measurement.millisecondsPerRun.toPrecision(3)} ms)`;
        cell.title = `averaged over ${measurement.runs} run${measurement.runs === 1 ? '' : 's'}`;
      }
    } else {
      this.#values.set(key, { error: measurement.error });
      if (cell) {
        cell.dataset.status = 'error';
        cell.textContent = 'error';
        cell.title = measurement.error;
      }
    }
    this.#redraw();
  }

  #redraw(): void {
    replaceChildren(this.#chart, drawBarChart({ groups: this.#groups, series: this.#series, values: this.#values, unit: 'GFLOP/s' }));
  }
}
