import { formatSignificant } from '../measure/statistics.js';
import { renderMachine, renderTable, type Alignment } from '../results/markdown.js';
import type { ResultFile, ResultRow } from '../results/result-types.js';
import { computeBars, FULL_BAR_SHAPES, type BarShapes } from './bars.js';
import { ATTENTION_CONFIG } from './kernel-cases.js';

/** bench/results/kernels.md: machine, impls, the bars, then one table per benchmark. */
const QUICK_BAR_SHAPES: BarShapes = { matmul: '64×64×64', decode: '1×64×96' };

interface Section {
  benchmark: string;
  title: string;
  explanation: string;
  shapeHeader: string;
  /** The dtype column's header, where the section has one: the weights' type, or the KV cache's. */
  dtypeHeader?: string;
  gbpsHeader?: string;
}

const { heads, kvHeads, headDim } = ATTENTION_CONFIG;
const SECTIONS: Section[] = [
  {
    benchmark: 'matmul',
    title: 'Matmul, f32',
    explanation: 'C[M, N] = A[M, K] · B[K, N], all f32. GFLOP/s = 2·M·N·K / median time.',
    shapeHeader: 'M×K×N',
  },
  {
    benchmark: 'decode matvec',
    title: 'Decode matvec (one token through a linear layer)',
    explanation:
      'y[1, N] = x[1, K] · Wᵀ with W in the linear-layer layout [N, K] (transposeB), as f32 or GGUF Q8_0 / Q4_0 blocks. ' +
      'Memory-bound: GB/s = weight bytes / median time (f32 4 B, Q8_0 34/32 B, Q4_0 18/32 B per weight). Peers have f32 rows only.',
    shapeHeader: 'M×K×N',
    dtypeHeader: 'weights',
    gbpsHeader: 'weight GB/s',
  },
  {
    benchmark: 'attention decode',
    title: 'Attention, decode',
    explanation: `One query token against a KV cache of \`context\` keys; ${heads} query heads of ${headDim}, ${kvHeads} KV heads (grouped-query), causal. The cache is f32, or f16 (Cria only: WebGPU widens it in its loads, wasm in software). GB/s = K+V cache bytes / median time.`,
    shapeHeader: 'KV length',
    dtypeHeader: 'KV cache',
    gbpsHeader: 'KV GB/s',
  },
  {
    benchmark: 'attention prefill',
    title: 'Attention, prefill',
    explanation: `A prompt of T tokens attending causally to itself (kvLength = T); ${heads} query heads of ${headDim}, ${kvHeads} KV heads; the cache f32, or f16 (Cria only). GFLOP/s counts 4·D per visible query-key pair per head.`,
    shapeHeader: 'T',
    dtypeHeader: 'KV cache',
  },
];

/** A skipped row of an impl that never started points at the Implementations table instead of repeating why. */
function skipNote(row: ResultRow, result: ResultFile): string {
  const impl = result.impls.find((entry) => entry.impl === row.impl && entry.threads === row.threads);
  return impl?.description === `unavailable: ${row.skipped}` ? 'skipped: impl unavailable (see Implementations)' : `skipped: ${row.skipped}`;
}

function renderSection(section: Section, result: ResultFile): string | undefined {
  const { rows } = result;
  const selected = rows.filter((row) => row.benchmark === section.benchmark);
  if (selected.length === 0) return undefined;
  const headers = [section.shapeHeader, ...(section.dtypeHeader ? [section.dtypeHeader] : []), 'impl', 'threads', 'median ms', 'GFLOP/s'];
  if (section.gbpsHeader) headers.push(section.gbpsHeader);
  headers.push('runs', 'other load', 'check', 'note');
  const align: Alignment[] = headers.map((header) =>
    ['threads', 'median ms', 'GFLOP/s', 'runs', 'other load', section.gbpsHeader].includes(header) ? 'right' : 'left',
  );
  const body = selected.map((row) => {
    const cells = [row.shape, ...(section.dtypeHeader ? [row.dtype] : []), row.impl, row.threads === null ? '—' : String(row.threads)];
    cells.push(formatSignificant(row.median_ms), formatSignificant(row.gflops));
    if (section.gbpsHeader) cells.push(formatSignificant(row.gbps));
    cells.push(row.skipped ? '—' : String(row.runs), row.other_cores === null ? '—' : row.other_cores.toFixed(2), row.check ?? '—', row.skipped ? skipNote(row, result) : (row.note ?? ''));
    return cells;
  });
  return [`## ${section.title}`, '', section.explanation, '', renderTable(headers, body, align)].join('\n');
}

const LOAD_LEGEND =
  '"other load" is how many cores other processes kept busy, on average, during the timed rounds of that shape that were kept (all its impls are timed together, interleaved; ' +
  'rounds timed while others were busy are redone, within a limit). Near 0 the numbers are clean; toward 1 on a 2-core machine, 2-thread rows could not scale and every row is slower.';

function renderBars(result: ResultFile): string {
  const bars = computeBars(result.rows, result.quick ? QUICK_BAR_SHAPES : FULL_BAR_SHAPES);
  const table = renderTable(
    ['bar', 'target', 'measured', 'result', 'from'],
    bars.map((bar) => [bar.bar, `≥ ${bar.target.toFixed(1)}×`, bar.ratio === null ? '—' : `${formatSignificant(bar.ratio)}×`, bar.status, bar.detail]),
    ['left', 'right', 'right', 'left', 'left'],
  );
  return ['## Bars', '', 'Ratios of medians from the tables below (time of the slower / time of the faster); nothing here is typed in by hand.', '', table].join('\n');
}

export function renderKernelsMarkdown(result: ResultFile): string {
  const parts = ['# Cria kernel benchmarks', ''];
  if (result.quick) parts.push('> **Quick run** (`--quick`): tiny shapes and few runs to smoke-test the pipeline. These numbers measure nothing.', '');
  parts.push(
    `Suite \`${result.suite}\`, ${result.rows.length} rows, ${result.elapsed_s} s. Regenerate with \`npm run bench -- ${result.suite}${result.quick ? ' --quick' : ''}\`; the same rows are in \`${result.suite}${result.quick ? '-quick' : ''}.json\`.`,
    '',
    '## Machine',
    '',
    renderMachine(result.machine),
    '',
    '## Implementations',
    '',
    renderTable(
      ['impl', 'threads', 'as run'],
      result.impls.map((impl) => [impl.impl, impl.threads === null ? '—' : String(impl.threads), impl.description]),
    ),
    '',
    renderBars(result),
  );
  parts.push('', LOAD_LEGEND);
  for (const section of SECTIONS) {
    const rendered = renderSection(section, result);
    if (rendered) parts.push('', rendered);
  }
  parts.push('', '## Method', '', ...Object.entries(result.method).map(([key, value]) => `- **${key}**: ${typeof value === 'string' ? value : JSON.stringify(value)}`), '');
  return parts.join('\n');
}
