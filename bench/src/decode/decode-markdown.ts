import { formatSignificant } from '../measure/statistics.js';
import { renderMachine, renderTable, type Alignment } from '../results/markdown.js';
import type { ResultFile } from '../results/result-types.js';
import { computeDecodeBars } from './decode-bars.js';
import type { DecodeRow } from './decode-suite.js';

/** bench/results/decode.md: machine, impls, models, the issue's bars, one table per model. */
const mib = (bytes: number | null | undefined) => {
  if (bytes === null || bytes === undefined) return '—';
  return bytes >= 10 * 2 ** 20 ? `${(bytes / 2 ** 20).toFixed(0)} MiB` : `${formatSignificant(bytes / 2 ** 10)} KiB`;
};

interface ModelFacts {
  bytes: number;
  weights_bytes: number;
  parameters: number;
}

function renderModels(result: ResultFile): string {
  const facts = (result.method['models'] ?? {}) as Record<string, ModelFacts>;
  const rows = result.rows as DecodeRow[];
  const body = Object.entries(facts).map(([label, model]) => {
    const row = rows.find((candidate) => candidate.model === label);
    return [label, row?.dtype ?? '', `${(model.parameters / 1e6).toFixed(1)} M`, mib(model.bytes), mib(model.weights_bytes)];
  });
  return [
    '## Models',
    '',
    'Real checkpoints\' shapes with random weights, written by the suite (never downloaded). SmolLM2-135M: hidden 576, intermediate 1536, 30 layers, 9 heads, ' +
      '3 KV heads, vocab 49152, tied embeddings. TinyLlama-1.1B: hidden 2048, intermediate 5632, 22 layers, 32 heads, 4 KV heads, vocab 32000. ' +
      'Every matrix (token embeddings and output head too) is in the model type; norms are F32. The tokenizer (both impls load it from the file, ' +
      'and peak RSS counts it) is a byte-level BPE of the vocab size: ordinary tokens with one merge each and 3 control tokens, as real vocabularies are built.',
    '',
    renderTable(['model', 'type', 'parameters', 'file', 'weights'], body, ['left', 'left', 'right', 'right', 'right']),
  ].join('\n');
}

function renderBars(result: ResultFile): string {
  const table = renderTable(
    ['model', 'bar', 'target', 'measured', 'result', 'from'],
    computeDecodeBars(result.rows).map((bar) => [bar.model, bar.bar, bar.target, bar.ratio === null ? '—' : `${formatSignificant(bar.ratio)}${bar.bar.includes('submits') ? '' : '×'}`, bar.status, bar.detail]),
    ['left', 'left', 'right', 'right', 'left', 'left'],
  );
  return ['## Bars', '', 'Ratios of the medians in the tables below, from this run only; nothing here is typed in by hand. A speed bar timed while other processes held more than ' +
      'half a core is INCONCLUSIVE: on 2 cores both impls lose a core, and llama.cpp\'s spinning thread barriers collapse when one of its threads is descheduled.', '', table].join('\n');
}

function renderModelTable(model: string, rows: readonly DecodeRow[]): string {
  const headers = ['impl', 'threads', 'prefill tok/s', 'decode tok/s', 'decode GB/s', 'peak RSS', 'weights + KV', 'RSS after', 'load ms', 'runs', 'other load', 'WebGPU per token', 'tokens', 'note'];
  const right = new Set(['threads', 'prefill tok/s', 'decode tok/s', 'decode GB/s', 'peak RSS', 'weights + KV', 'RSS after', 'load ms', 'runs', 'other load']);
  const align: Alignment[] = headers.map((header) => (right.has(header) ? 'right' : 'left'));
  const body = rows.map((row) => [
    row.impl,
    row.threads === null ? '—' : String(row.threads),
    formatSignificant(row.prefill_tokens_per_s),
    formatSignificant(row.decode_tokens_per_s),
    formatSignificant(row.gbps),
    mib(row.peak_rss_bytes),
    row.kv_cache_bytes === null ? '—' : `${mib(row.weights_bytes)} + ${mib(row.kv_cache_bytes)}`,
    mib(row.rss_after_bytes),
    row.load_ms === null ? '—' : String(row.load_ms),
    row.skipped ? (row.decode_tokens_per_s === null ? '—' : 'probe') : String(row.runs),
    row.other_cores === null ? '—' : row.other_cores.toFixed(2),
    row.submits_per_token === undefined
      ? ''
      : `${row.submits_per_token} submits, ${row.dispatches_per_token} dispatches${row.record_ms_per_token === undefined ? '' : `, ${row.record_ms_per_token} ms CPU to record`}`,
    row.check ?? '—',
    [row.skipped ? `skipped: ${row.skipped}` : '', row.note && (!row.skipped || row.decode_tokens_per_s !== null) ? row.note : ''].filter(Boolean).join('; '),
  ]);
  return [`## ${model}`, '', renderTable(headers, body, align)].join('\n');
}

/** The long-context phase: one table over all models, Cria's decode beside llama.cpp's at the same depth. */
function renderLongContext(rows: readonly DecodeRow[]): string {
  if (rows.length === 0) return '';
  const first = rows[0]!;
  const peerDecode = (row: DecodeRow) => rows.find((other) => other.model === row.model && other.impl === 'llama.cpp')?.decode_tokens_per_s ?? null;
  const body = rows.map((row) => {
    const peer = peerDecode(row);
    const ratio = row.impl !== 'llama.cpp' && row.decode_tokens_per_s !== null && peer ? `${formatSignificant(row.decode_tokens_per_s / peer)}×` : '';
    return [
      row.model,
      row.impl,
      formatSignificant(row.prefill_tokens_per_s),
      formatSignificant(row.decode_tokens_per_s),
      ratio,
      mib(row.peak_rss_bytes),
      row.skipped ? '—' : String(row.runs),
      row.other_cores === null ? '—' : row.other_cores.toFixed(2),
      row.check ?? '—',
      row.skipped ? `skipped: ${row.skipped}` : '',
    ];
  });
  return [
    '## Long context',
    '',
    `The CPU impls again, each in a fresh child: a ${first.prompt_tokens}-token prompt (prefill tok/s over all of it), then ${first.generated_tokens} greedy decode steps at positions ` +
      `${first.prompt_tokens} and up, where attention reads a ${first.prompt_tokens}-position KV cache per layer and token. Same warm-up, interleaving and medians as above; no bars.`,
    '',
    renderTable(
      ['model', 'impl', 'prefill tok/s', 'decode tok/s', 'decode vs llama.cpp', 'peak RSS', 'runs', 'other load', 'tokens', 'note'],
      body,
      ['left', 'left', 'right', 'right', 'right', 'right', 'right', 'right', 'left', 'left'],
    ),
  ].join('\n');
}

export function renderDecodeMarkdown(result: ResultFile): string {
  const all = result.rows as DecodeRow[];
  const rows = all.filter((row) => !row.long_context);
  const models = [...new Set(rows.map((row) => row.model))];
  const first = rows[0];
  const sections = [
    '# Decode benchmark',
    '',
    result.quick ? '**Quick run**: a tiny model and a few tokens, to check the pipeline. Nothing here is a measurement.\n' : '',
    `Prefill of a ${first?.prompt_tokens ?? 128}-token prompt and ${first?.generated_tokens ?? 128} greedy decode steps, Cria (wasm, 2 threads; WebGPU on the adapter present) ` +
      'against llama.cpp native through node-llama-cpp (2 threads), on the same GGUF file, in the same run, each (impl, model) in its own process. ' +
      'prefill tok/s = prompt tokens / median prefill time (until the first token is picked); decode tok/s = generated tokens / median decode time; ' +
      'decode GB/s = weight bytes / median time per token (decode streams every weight once per token). Peak RSS is the child process\'s maxRSS (Node itself is ~40 MiB of it); ' +
      'weights + KV = tensor bytes in the file + the KV cache as that impl allocates it (Cria wasm f32, Cria WebGPU and llama.cpp f16: their defaults) for `context` positions (see Method). RSS after = resident set after the timed passes. ' +
      '`tokens` compares the first 16 greedy tokens with the other CPU impl (random weights: a near-tie may fall either way after quantized activations). ' +
      'WebGPU per token: submits and dispatches of a decode step, and the median CPU ms from its start to its submit (recording it). ' +
      '`cria-webgpu-host` runs the WebGPU path on Dawn\'s null device, where every call is made and validated but no GPU work runs: its tok/s is the ceiling the host side alone allows on any GPU, measured without one (on SwiftShader the host shares the cores with the emulated GPU). ' +
      `Total time: ${result.elapsed_s} s.`,
    '',
    '## Machine',
    '',
    renderMachine(result.machine),
    '',
    '## Impls',
    '',
    renderTable(['impl', 'threads', 'what'], result.impls.map((impl) => [impl.impl, impl.threads === null ? '—' : String(impl.threads), impl.description])),
    '',
    renderModels(result),
    '',
    renderBars(result),
    '',
    ...models.flatMap((model) => [renderModelTable(model, rows.filter((row) => row.model === model)), '']),
    renderLongContext(all.filter((row) => row.long_context)),
    '',
    '## Method',
    '',
    renderTable(['', ''], Object.entries(result.method).filter(([key]) => key !== 'models').map(([key, value]) => [key, typeof value === 'string' ? value : JSON.stringify(value)])),
    '',
  ];
  return sections.filter((section, index) => !(section === '' && sections[index - 1] === '')).join('\n');
}
