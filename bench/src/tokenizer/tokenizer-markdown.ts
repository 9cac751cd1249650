import { formatSignificant } from '../measure/statistics.js';
import { renderMachine, renderTable, type Alignment } from '../results/markdown.js';
import type { ResultFile } from '../results/result-types.js';
import { computeTokenizerBars } from './tokenizer-bars.js';
import type { TokenizerRow } from './tokenizer-suite.js';
import { VOCABULARY_LABELS } from './vocabularies.js';

/** bench/results/tokenizer.md: machine, impls, the bars, encode, decode and load-memory tables. */
const vocabularyLabel = (vocabulary: string) => VOCABULARY_LABELS[vocabulary] ?? vocabulary;

function renderBars(result: ResultFile): string {
  const table = renderTable(
    ['bar', 'target', 'measured', 'result', 'from'],
    computeTokenizerBars(result.rows).map((bar) => [
      bar.bar,
      `≥ ${bar.target.toFixed(1)}×`,
      bar.ratio === null ? '—' : `${formatSignificant(bar.ratio)}×`,
      bar.status,
      bar.detail,
    ]),
    ['left', 'right', 'right', 'left', 'left'],
  );
  return [
    '## Bars',
    '',
    'Ratios of the encode MB/s in the table below; nothing here is typed in by hand. tiktoken and gpt-tokenizer ship OpenAI vocabularies, not Llama 3 or Qwen 3: ' +
      'those rows compare what a user would pick instead, on the same text.',
    '',
    table,
  ].join('\n');
}

function renderThroughput(result: ResultFile, benchmark: 'encode' | 'decode'): string {
  const rows = (result.rows as TokenizerRow[]).filter((row) => row.benchmark === benchmark);
  const headers = ['impl', 'vocabulary', 'MB/s', 'tokens/s', 'tokens', 'median ms', 'min ms', 'runs', 'other load', 'check', 'note'];
  const align: Alignment[] = headers.map((header) =>
    ['MB/s', 'tokens/s', 'tokens', 'median ms', 'min ms', 'runs', 'other load'].includes(header) ? 'right' : 'left',
  );
  const body = rows.map((row) => [
    row.impl,
    vocabularyLabel(row.vocabulary),
    formatSignificant(row.mb_per_s),
    formatSignificant(row.tokens_per_s),
    row.tokens === null ? '—' : String(row.tokens),
    formatSignificant(row.median_ms),
    formatSignificant(row.min_ms),
    row.skipped ? '—' : String(row.runs),
    row.other_cores === null ? '—' : row.other_cores.toFixed(2),
    row.check ?? '—',
    row.skipped ? `skipped: ${row.skipped}` : row.note ?? '',
  ]);
  const shape = rows[0]?.shape ?? '';
  const explanation =
    benchmark === 'encode'
      ? `Text → ids for the whole corpus (${shape}), one call per text. MB/s = UTF-8 bytes of the corpus / median time; check = same ids as the other impl of that vocabulary, text by text ` +
        '(tiktoken runs Rust regexes whose Unicode tables predate some characters of the corpus that JavaScript knows as letters or marks: where it differs from gpt-tokenizer, that is why).'
      : `Ids → text for the ids each impl made of the corpus, one call per text. MB/s = UTF-8 bytes of the corpus / median time; check = every text decodes back to itself.`;
  return [`## ${benchmark === 'encode' ? 'Encode' : 'Decode'}`, '', explanation, '', renderTable(headers, body, align)].join('\n');
}

function renderMemory(result: ResultFile): string | undefined {
  const rows = (result.rows as TokenizerRow[]).filter((row) => row.benchmark === 'load');
  if (rows.length === 0) return undefined;
  const headers = ['impl', 'vocabulary', 'JS heap MB', 'external MB', 'RSS MB', 'peak RSS MB', 'load ms', 'note'];
  const body = rows.map((row) =>
    row.memory
      ? [
          row.impl,
          vocabularyLabel(row.vocabulary),
          String(row.memory.heap_mb),
          String(row.memory.external_mb),
          String(row.memory.rss_mb),
          row.memory.peak_rss_mb === null || row.memory.peak_rss_mb === undefined ? '—' : String(row.memory.peak_rss_mb),
          String(row.memory.load_ms),
          row.note ?? '',
        ]
      : [row.impl, vocabularyLabel(row.vocabulary), '—', '—', '—', '—', '—', `skipped: ${row.skipped}`],
  );
  return [
    '## Memory to load a vocabulary',
    '',
    'Growth after loading the vocabulary from its file and encoding one text, in a fresh `node --expose-gc` per row (garbage collected before and after). ' +
      '"external" is ArrayBuffers and wasm memory; RSS also holds what the parse left to the allocator. ' +
      '"peak RSS" is how far RSS rose above where it stood before the load, at its highest during load + encode (the high-water mark is reset first), so it counts the garbage the parse made and the collector later freed.',
    '',
    renderTable(headers, body, ['left', 'left', 'right', 'right', 'right', 'right', 'right', 'left']),
  ].join('\n');
}

export function renderTokenizerMarkdown(result: ResultFile): string {
  const parts = ['# Cria tokenizer benchmarks', ''];
  if (result.quick) parts.push('> **Quick run** (`--quick`): a tiny corpus and few runs to smoke-test the pipeline. These numbers measure nothing.', '');
  parts.push(
    `Suite \`${result.suite}\`, ${result.rows.length} rows, ${result.elapsed_s} s. Regenerate with \`npm run bench -- ${result.suite}${
      result.quick ? ' --quick' : ''
    }\`; the same rows are in \`${result.suite}${result.quick ? '-quick' : ''}.json\`.`,
    '',
    '## Machine',
    '',
    renderMachine(result.machine),
    '',
    '## Implementations',
    '',
    renderTable(
      ['impl', 'as run'],
      result.impls.map((impl) => [impl.impl, impl.description]),
    ),
    '',
    renderBars(result),
    '',
    '"other load" is how many cores other processes kept busy, on average, while that table was timed (all impls are timed together, interleaved). Near 0 the numbers are clean.',
    '',
    renderThroughput(result, 'encode'),
    '',
    renderThroughput(result, 'decode'),
  );
  const memory = renderMemory(result);
  if (memory) parts.push('', memory);
  parts.push(
    '',
    '## Method',
    '',
    ...Object.entries(result.method).map(([key, value]) => `- **${key}**: ${typeof value === 'string' ? value : JSON.stringify(value)}`),
    '',
  );
  return parts.join('\n');
}
