import { formatSignificant } from '../measure/statistics.js';
import { renderMachine, renderTable, type Alignment } from '../results/markdown.js';
import type { ResultFile } from '../results/result-types.js';
import { computeTrainBars } from './train-bars.js';
import { BENCHMARKS, type TrainRow } from './train-suite.js';
import { FLOP_FORMULA } from './train-shapes.js';

/** bench/results/train.md: machine, impls, the bars with what limits Cria, then one table per benchmark. */
const SECTIONS = [
  {
    benchmark: BENCHMARKS.full,
    title: 'Full training (forward + backward + AdamW), f32',
    explanation:
      "nanoGPT's shakespeare-char sizes as a Llama: 6 layers, d_model 384, 6 heads of 64, SwiGLU hidden 1024 (8/3·d: the parameters of nanoGPT's 4·d GELU MLP), vocabulary 65, untied head, batch 16 × 256 tokens; random tokens, the same batch every step.",
  },
  {
    benchmark: BENCHMARKS.lora,
    title: 'LoRA fine-tuning on SmolLM2-135M shapes, f32',
    explanation:
      'SmolLM2-135M: 30 layers, hidden 576, 9 heads (3 KV heads), intermediate 1536, vocabulary 49152, tied embeddings; rank 8, alpha 16 adapters on q/k/v/o over a frozen f32 base (random weights: the cost does not depend on them); one sequence of 256 tokens per step.',
  },
  {
    benchmark: BENCHMARKS.qlora,
    title: 'QLoRA fine-tuning on SmolLM2-135M shapes, Q4_0 base',
    explanation:
      "The LoRA step above with the base's seven linear weights per layer stored Q4_0 (embedding and norms stay f32): the forward and the input gradient read the blocks as stored, no f32 copy is made. Cria only (PyTorch's script has no Q4_0 weights). `backend MiB` is what the wasm backend holds after setup (weights, adapters, AdamW state) and after the timed steps (plus activations and kernel scratch); compare with the f32-base LoRA row.",
  },
];

export function renderTrainMarkdown(result: ResultFile): string {
  const rows = result.rows as TrainRow[];
  const parts: string[] = ['# Training benchmark', ''];
  if (result.quick) parts.push('**Quick run**: tiny shapes, a pipeline check — these numbers measure nothing.', '');
  parts.push('Tokens/s of one training step per impl, 2 threads asked of each, all in one run on this machine (`npm run bench -- train`).', '');
  parts.push('## Machine', '', renderMachine(result.machine), '');
  parts.push(
    '## Implementations',
    '',
    renderTable(
      ['impl', 'threads', 'what ran'],
      result.impls.map((impl) => [impl.impl, impl.threads === null ? '—' : String(impl.threads), impl.description]),
    ),
    '',
  );

  const bars = computeTrainBars(rows);
  parts.push(
    '## Bars',
    '',
    renderTable(
      ['bar', 'ratio', 'status', 'from'],
      bars.map((bar) => [bar.bar, bar.ratio === null ? '—' : `${formatSignificant(bar.ratio)}×`, bar.status, bar.detail]),
      ['left', 'right', 'left', 'left'],
    ),
    '',
    limitsParagraph(result),
    '',
  );

  for (const section of SECTIONS) {
    const selected = rows.filter((row) => row.benchmark === section.benchmark);
    if (selected.length === 0) continue;
    const headers = ['impl', 'threads', 'median ms / step', 'tokens/s', 'GFLOP/s', 'steps', 'other load', 'backend MiB setup → after', 'loss first → last', 'check', 'note'];
    const align: Alignment[] = headers.map((header) => (['threads', 'median ms / step', 'tokens/s', 'GFLOP/s', 'steps', 'other load'].includes(header) ? 'right' : 'left'));
    const body = selected.map((row) => [
      row.impl,
      row.threads === null ? '—' : String(row.threads),
      formatSignificant(row.median_ms),
      formatSignificant(row.tokens_per_s),
      formatSignificant(row.gflops),
      row.skipped ? '—' : String(row.runs),
      row.other_cores === null ? '—' : row.other_cores.toFixed(2),
      row.backend_mib ? `${row.backend_mib.setup} → ${row.backend_mib.after_steps}` : '—',
      row.loss ? `${row.loss.first} → ${row.loss.last}` : '—',
      row.check ?? '—',
      row.skipped ? `skipped: ${row.skipped}` : (row.note ?? ''),
    ]);
    const first = selected[0]!;
    parts.push(
      `## ${section.title}`,
      '',
      ...(result.quick ? [] : [section.explanation]),
      `Shape: ${first.shape}; ${first.tokens_per_step} tokens and ${formatSignificant(first.step_gflop)} GFLOP per step; ${first.params.total.toLocaleString('en-US')} parameters, ${first.params.trainable.toLocaleString('en-US')} trained.`,
      '',
      renderTable(headers, body, align),
      '',
    );
  }

  parts.push(
    '## How the numbers are taken',
    '',
    `- GFLOP/s = step flops / median step time, step flops = ${FLOP_FORMULA}.`,
    '- Cria: 1 warm-up step, then 3 to 5 timed steps in this process (a step timed while other processes used more than 0.5 cores is left out of the median when 3 clean ones exist). tfjs-wasm: 1 warm-up and 1 timed step, because one of its steps takes minutes (fewer steps, never smaller shapes). PyTorch: a child process (`bench/src/train/torch_train.py`) with 2 warm-up steps and 5 to 9 timed steps it times itself, reading other processes\' load per step from /proc/stat; the same rule for loaded steps, with 5 clean ones wanted.',
    '- Before each impl the suite waits up to 30 s for other processes to go quiet; `other load` is the cores they used meanwhile (0 = clean, 2 = the whole machine).',
    '- WebGPU rows are run only when one step, predicted from a timed step of the same model on one 16-token sequence, fits the per-step cap; otherwise the row is skipped with the probe\'s numbers. No number is estimated into a row.',
    '',
  );
  return parts.join('\n');
}

/** What limits Cria, from facts recorded in this run (the PyTorch row's BLAS, the impls' threads). */
function limitsParagraph(result: ResultFile): string {
  const torch = result.impls.find((impl) => impl.impl === 'pytorch-cpu');
  const cria = (result.rows as TrainRow[]).find((row) => row.impl === 'cria-wasm' && row.benchmark === BENCHMARKS.full && row.gflops !== null);
  const torchRow = (result.rows as TrainRow[]).find((row) => row.impl === 'pytorch-cpu' && row.benchmark === BENCHMARKS.full && row.gflops !== null);
  const sentences = [
    "**What limits Cria here.** Cria's wasm kernels compute with 128-bit WebAssembly SIMD (4 f32 lanes per instruction; relaxed SIMD adds fused multiply-add, not width), on the 2 threads of its worker pool.",
  ];
  if (torch && torchRow && cria) {
    const blas = (torch.description.split('; ')[1] ?? 'see Implementations').replace(/^BLAS /, '');
    const avx512 = /core (Cooperlake|SkylakeX|SapphireRapids)/.test(blas);
    sentences.push(
      `PyTorch's matmuls run in native BLAS (${blas})${
        avx512 ? ": OpenBLAS's kernels for that core use AVX-512 (16 f32 lanes; this CPU reports avx512f), 4× the vector width wasm has" : ''
      }.`,
      `Measured on the same step: Cria wasm ${cria.gflops} GFLOP/s, PyTorch ${torchRow.gflops} GFLOP/s${
        Math.max(cria.other_cores ?? 0, torchRow.other_cores ?? 0) > 0.5
          ? `, while other processes held up to ${Math.max(cria.other_cores ?? 0, torchRow.other_cores ?? 0).toFixed(2)} of the 2 cores: not a clean comparison (see the bars)`
          : ''
      }.`,
    );
  }
  sentences.push('tfjs-wasm runs its XNNPACK kernels on 1 thread in Node (its multi-threaded build cannot start there), so its row has half the cores of the others.');
  return sentences.join(' ');
}
