/**
 * A grouped horizontal bar chart in inline SVG: one group per benchmark shape, one bar per backend.
 * The axis is logarithmic because backends differ by orders of magnitude (a JS reference loop at
 * ~0.5 GFLOP/s next to a GPU at hundreds): on a linear axis the slow bars would vanish.
 */
export interface ChartSeries {
  id: string;
  label: string;
  color: string;
}

export type ChartValue = { value: number } | { error: string };

export interface ChartData {
  groups: string[];
  series: ChartSeries[];
  /** Keyed by `${seriesId}/${group}`; missing = not measured yet. */
  values: Map<string, ChartValue>;
  unit: string;
}

const SVG = 'http://www.w3.org/2000/svg';
const WIDTH = 760;
const LABEL_WIDTH = 190;
const VALUE_WIDTH = 78;
const BAR_HEIGHT = 14;
const BAR_GAP = 3;
const GROUP_GAP = 16;
const LEGEND_HEIGHT = 28;
const AXIS_HEIGHT = 22;

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attributes: Record<string, string | number>, text?: string): SVGElementTagNameMap[K] {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

/** Decades that cover every value, at least one. */
function logDomain(values: number[]): [number, number] {
  if (values.length === 0) return [-1, 2];
  const low = Math.floor(Math.log10(Math.min(...values)));
  const high = Math.ceil(Math.log10(Math.max(...values)));
  return [low, Math.max(high, low + 1)];
}

export function formatRate(value: number): string {
  if (value >= 100) return value.toFixed(0);
  if (value >= 10) return value.toFixed(1);
  if (value >= 0.1) return value.toFixed(2);
  return value.toPrecision(2);
}

export function drawBarChart(data: ChartData): SVGSVGElement {
  const measured = [...data.values.values()].flatMap((entry) => ('value' in entry && entry.value > 0 ? [entry.value] : []));
  const [low, high] = logDomain(measured);
  const plotWidth = WIDTH - LABEL_WIDTH - VALUE_WIDTH;
  const x = (value: number) => LABEL_WIDTH + ((Math.log10(value) - low) / (high - low)) * plotWidth;
  const groupHeight = data.series.length * (BAR_HEIGHT + BAR_GAP) - BAR_GAP;
  const top = LEGEND_HEIGHT + AXIS_HEIGHT;
  const height = top + data.groups.length * (groupHeight + GROUP_GAP) + 4;

  const root = svg('svg', { viewBox: `0 0 ${WIDTH} ${height}`, role: 'img', 'font-family': 'system-ui, sans-serif', 'font-size': 12 });
  root.append(svg('title', {}, `${data.unit} per backend and shape (log scale)`));

  let legendX = LABEL_WIDTH;
  for (const series of data.series) {
    root.append(svg('rect', { x: legendX, y: 6, width: 12, height: 12, rx: 2, fill: series.color }));
    root.append(svg('text', { x: legendX + 17, y: 16, fill: '#1f1d1a' }, series.label));
    legendX += 30 + series.label.length * 7;
  }

  for (let decade = low; decade <= high; decade++) {
    const position = x(10 ** decade);
    root.append(svg('line', { x1: position, x2: position, y1: top - 4, y2: height - 4, stroke: '#e3ded7' }));
    root.append(svg('text', { x: position, y: top - 8, 'text-anchor': 'middle', fill: '#6b655d' }, formatRate(10 ** decade)));
  }
  root.append(svg('text', { x: 0, y: top - 8, fill: '#6b655d' }, `${data.unit} (log scale)`));

  data.groups.forEach((group, groupIndex) => {
    const groupTop = top + groupIndex * (groupHeight + GROUP_GAP);
    root.append(svg('text', { x: 0, y: groupTop + groupHeight / 2 + 4, fill: '#1f1d1a', 'font-weight': 600 }, group));
    data.series.forEach((series, seriesIndex) => {
      const y = groupTop + seriesIndex * (BAR_HEIGHT + BAR_GAP);
      const entry = data.values.get(`${series.id}/${group}`);
      if (!entry) {
        root.append(svg('text', { x: LABEL_WIDTH + 4, y: y + BAR_HEIGHT - 3, fill: '#b0a89c' }, '…'));
        return;
      }
      if ('error' in entry) {
        root.append(svg('text', { x: LABEL_WIDTH + 4, y: y + BAR_HEIGHT - 3, fill: '#b3261e' }, `${series.label}: ${entry.error}`.slice(0, 90)));
        return;
      }
      const end = Math.max(LABEL_WIDTH + 2, x(entry.value));
      const bar = svg('rect', { x: LABEL_WIDTH, y, width: end - LABEL_WIDTH, height: BAR_HEIGHT, rx: 2, fill: series.color });
      bar.append(svg('title', {}, `${series.label}, ${group}: ${formatRate(entry.value)} ${data.unit}`));
      root.append(bar);
      root.append(svg('text', { x: end + 5, y: y + BAR_HEIGHT - 3, fill: '#1f1d1a', 'font-family': 'ui-monospace, monospace', 'font-size': 11 }, formatRate(entry.value)));
    });
  });
  return root;
}
