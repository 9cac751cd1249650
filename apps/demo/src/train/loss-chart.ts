/**
 * The live loss curve: training loss per step as a line and the held-out loss as dots, in inline
 * SVG in the style of the benchmark chart. Linear axes: a fine-tune's loss spans one or two decades
 * at most, and the interesting part (the fall) reads best linearly.
 */
export interface LossPoint {
  step: number;
  loss: number;
}

const SVG = 'http://www.w3.org/2000/svg';
const WIDTH = 760;
const HEIGHT = 260;
const LEFT = 52;
const RIGHT = 16;
const TOP = 28;
const BOTTOM = 30;
const TRAIN_COLOR = '#b5651d';
const EVAL_COLOR = '#2b6cb0';

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attributes: Record<string, string | number>, text?: string): SVGElementTagNameMap[K] {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

/** About five round tick values over [0, max]. */
function ticks(max: number): number[] {
  const step = 10 ** Math.floor(Math.log10(max / 5 || 1));
  const nice = [1, 2, 5, 10].map((factor) => factor * step).find((candidate) => max / candidate <= 6) ?? step * 10;
  return Array.from({ length: Math.floor(max / nice) + 1 }, (_, index) => index * nice);
}

export function drawLossChart(train: readonly LossPoint[], evaluation: readonly LossPoint[], totalSteps: number): SVGSVGElement {
  const maxStep = Math.max(totalSteps, train.at(-1)?.step ?? 1, 1);
  const maxLoss = Math.max(...train.map((point) => point.loss), ...evaluation.map((point) => point.loss), 1e-3) * 1.05;
  const x = (step: number) => LEFT + (step / maxStep) * (WIDTH - LEFT - RIGHT);
  const y = (loss: number) => HEIGHT - BOTTOM - (loss / maxLoss) * (HEIGHT - TOP - BOTTOM);

  const root = svg('svg', { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: 'img', 'font-family': 'system-ui, sans-serif', 'font-size': 12 });
  root.append(svg('title', {}, 'training loss per step'));
  for (const value of ticks(maxLoss)) {
    root.append(svg('line', { x1: LEFT, x2: WIDTH - RIGHT, y1: y(value), y2: y(value), stroke: '#e3ded7' }));
    root.append(svg('text', { x: LEFT - 6, y: y(value) + 4, 'text-anchor': 'end', fill: '#6b655d' }, String(Number(value.toPrecision(3)))));
  }
  for (const step of ticks(maxStep).filter((value) => Number.isInteger(value))) {
    root.append(svg('text', { x: x(step), y: HEIGHT - BOTTOM + 16, 'text-anchor': 'middle', fill: '#6b655d' }, String(step)));
  }
  root.append(svg('text', { x: LEFT, y: 16, fill: '#6b655d' }, 'loss'));
  root.append(svg('text', { x: WIDTH - RIGHT, y: HEIGHT - 4, 'text-anchor': 'end', fill: '#6b655d' }, 'step'));
  root.append(svg('rect', { x: LEFT + 40, y: 6, width: 12, height: 12, rx: 2, fill: TRAIN_COLOR }));
  root.append(svg('text', { x: LEFT + 57, y: 16, fill: '#1f1d1a' }, 'train'));
  if (evaluation.length > 0) {
    root.append(svg('circle', { cx: LEFT + 112, cy: 12, r: 5, fill: EVAL_COLOR }));
    root.append(svg('text', { x: LEFT + 121, y: 16, fill: '#1f1d1a' }, 'held out'));
  }
  if (train.length > 0) {
    const path = train.map((point, index) => `${index === 0 ? 'M' : 'L'}${x(point.step).toFixed(1)},${y(point.loss).toFixed(1)}`).join(' ');
    root.append(svg('path', { d: path, fill: 'none', stroke: TRAIN_COLOR, 'stroke-width': 2, 'data-points': train.length, class: 'train-line' }));
  }
  for (const point of evaluation) {
    const dot = svg('circle', { cx: x(point.step), cy: y(point.loss), r: 4, fill: EVAL_COLOR, class: 'eval-point' });
    dot.append(svg('title', {}, `step ${point.step}: held-out loss ${point.loss.toFixed(4)}`));
    root.append(dot);
  }
  return root;
}
