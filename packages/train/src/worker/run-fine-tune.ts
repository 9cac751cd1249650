import { createBackend, createWasmBackend, supportsTraining, type Backend, type TrainingBackend } from '@cria/kernels';
import { SeededRandom, type LoadProgress, type NamedBlob } from '@cria/runtime';
import { DataLoader } from '../data/data-loader.js';
import { packExamples, type PackedDataset, type PackedRow } from '../data/packing.js';
import { NothingToLearnError, OVERLONG_POLICIES } from '../data/packing-stats.js';
import { parseTrainingJsonl, tokenizeExample, type TrainingExample } from '../data/training-example.js';
import { TrainingInputError, TrainingNotSupportedError } from '../errors.js';
import { hfConfigJson } from '../export/hf-config.js';
import { encodePeftAdapter, PEFT_CONFIG_FILE, PEFT_WEIGHTS_FILE } from '../export/peft-adapter.js';
import { generateText, type GenerateTextOptions } from '../generation/generate-text.js';
import { encodeModelSafetensors } from '../loading/pretrained-weights.js';
import { LlamaTrainingModel } from '../model/llama-training-model.js';
import type { TrainingBatch } from '../model/training-batch.js';
import { Trainer } from '../trainer.js';
import { FINE_TUNE_DEFAULTS, type FineTuneEvent, type FineTuneJob, type FineTuneResult } from './fine-tune-job.js';
import { readTrainingModel, type TrainingModelSource } from './training-model-source.js';

export interface FineTuneControls {
  onEvent?: (event: FineTuneEvent) => void;
  /** Ends the run after the current step; the weights so far are still exported. */
  stop?: AbortSignal;
  /** Discards the run: it rejects with the signal's reason (an AbortError) and exports nothing. */
  signal?: AbortSignal;
}

const TORCH_DTYPES = { F32: 'float32', F16: 'float16', BF16: 'bfloat16' } as const;

/**
 * A whole fine-tune: read the model and the JSONL, pack, train with AdamW (warmup + cosine), report
 * every step, then export a Hugging Face folder (and a PEFT adapter for LoRA) as Blobs. What the
 * training worker runs (serveTrainer); it runs the same way in Node.
 */
export async function runFineTune(job: FineTuneJob, controls: FineTuneControls = {}): Promise<FineTuneResult> {
  const emit = (event: FineTuneEvent) => controls.onEvent?.(event);
  const options = resolveJob(job);
  const examples = parseTrainingJsonl(job.dataset, 'dataset');
  if (examples.length === 0) throw new TrainingInputError('dataset', 'at least one JSONL record', 'an empty dataset', 'paste or upload {"prompt", "completion"} or {"messages": […]} lines');
  const source = await readTrainingModel(job.model, { onProgress: (progress) => emit({ type: 'loading', progress }), signal: controls.signal });
  try {
    return await fineTuneOpened(job, options, source, examples, controls);
  } finally {
    await source.weights.close(); // already closed once the model is loaded; this covers failures before
  }
}

async function fineTuneOpened(job: FineTuneJob, options: ResolvedJob, source: TrainingModelSource, examples: TrainingExample[], controls: FineTuneControls): Promise<FineTuneResult> {
  const emit = (event: FineTuneEvent) => controls.onEvent?.(event);
  const { train, evaluation } = splitExamples(examples, options.evalFraction, options.seed);
  const pack = (list: TrainingExample[], subject: string) =>
    packExamples(list.map((example) => tokenizeExample(source.tokenizer, example)), {
      sequenceLength: options.sequenceLength, padId: source.tokenizer.eosTokenId ?? 0, overlong: options.overlong, subject, names: JOB_FIX_NAMES,
    });
  const packedTrain = pack(train, 'dataset');
  const packedEvaluation = evaluation.length > 0 ? packHeldOut(() => pack(evaluation, 'held-out split')) : undefined;
  const trainRows = packedTrain.rows;
  const evalRows = packedEvaluation?.rows ?? [];
  const batchSize = Math.min(options.batchSize, trainRows.length);
  const data = new DataLoader(trainRows, { batchSize, seed: options.seed });
  const totalSteps = options.epochs * data.batchesPerEpoch;
  const evalEvery = job.evalEvery ?? Math.max(1, Math.round(totalSteps / 10));

  const { backend, fallback } = await trainingBackend(options.backend);
  let model: LlamaTrainingModel | undefined;
  let trainer: Trainer | undefined;
  try {
    const onProgress = (progress: LoadProgress) => emit({ type: 'loading', progress });
    model = await LlamaTrainingModel.load(backend, source.weights, { ...(job.lora ? { lora: { seed: options.seed, ...job.lora } } : {}), onProgress, signal: controls.signal });
    const learningRate = job.learningRate ?? (job.lora ? 1e-2 : 1e-3);
    const warmupSteps = job.warmupSteps ?? Math.min(10, Math.floor(totalSteps / 10));
    trainer = new Trainer(model, { weightDecay: options.weightDecay, maxGradNorm: options.maxGradNorm, schedule: { learningRate, warmupSteps, totalSteps, decay: 'cosine' } });
    const trainable = model.parameters.trainable.reduce((sum, parameter) => sum + parameter.value.size, 0);
    emit({
      type: 'started', backend: backend.info.description, ...(fallback ? { fallback } : {}), totalSteps,
      trainRows: trainRows.length, evalRows: evalRows.length, batchSize, sequenceLength: options.sequenceLength,
      parameters: model.parameters.count, trainableParameters: trainable,
      packing: { train: packedTrain.stats, ...(packedEvaluation ? { evaluation: packedEvaluation.stats } : {}) },
    });
    const sampleRequest = job.samplePrompt === undefined ? undefined : sampleRequestFor(job.samplePrompt, examples[0]!, options.sampleTokens);
    const evalBatches = evaluationBatches(evalRows, batchSize);
    const started = performance.now();
    let finalLoss = Number.NaN;
    let finalEvalLoss: number | undefined;
    let stopped = false;
    for (let step = 1; step <= totalSteps; step++) {
      // A macrotask between steps lets the worker receive 'stop' and 'cancel' messages.
      await new Promise((resolve) => setTimeout(resolve, 0));
      controls.signal?.throwIfAborted();
      if (controls.stop?.aborted) {
        stopped = true;
        break;
      }
      const epoch = data.position.batch >= data.batchesPerEpoch ? data.position.epoch + 1 : data.position.epoch;
      const stepStarted = performance.now();
      const report = await trainer.trainStep([data.next()]);
      const seconds = (performance.now() - stepStarted) / 1000;
      finalLoss = report.loss;
      emit({
        type: 'step', step: report.step, totalSteps, epoch: epoch + 1, loss: report.loss, learningRate: report.learningRate, gradNorm: report.gradNorm,
        tokensPerSecond: report.tokens / Math.max(seconds, 1e-6), elapsedSeconds: (performance.now() - started) / 1000,
      });
      const evaluationPoint = step % evalEvery === 0 || step === totalSteps;
      if (evalBatches.length > 0 && evaluationPoint) {
        finalEvalLoss = await trainer.evaluate(evalBatches);
        emit({ type: 'eval', step: report.step, loss: finalEvalLoss });
      }
      if (sampleRequest && evaluationPoint) {
        const { text } = await generateText(model, source.tokenizer, { ...sampleRequest, signal: controls.signal });
        emit({ type: 'sample', step: report.step, prompt: job.samplePrompt!, text });
      }
    }
    controls.signal?.throwIfAborted();
    emit({ type: 'exporting' });
    const exported = await exportFiles(model, source, options.exportDtype);
    return { steps: trainer.step, stopped, backend: backend.info.description, finalLoss, ...(finalEvalLoss === undefined ? {} : { finalEvalLoss }), ...exported };
  } finally {
    trainer?.dispose();
    model?.dispose();
    backend.dispose();
  }
}

type ResolvedJob = Required<Pick<FineTuneJob, 'epochs' | 'batchSize' | 'sequenceLength' | 'overlong' | 'backend' | 'weightDecay' | 'maxGradNorm' | 'evalFraction' | 'seed' | 'exportDtype' | 'sampleTokens'>>;

/** The job's own field names, for the fixes packing errors suggest. */
const JOB_FIX_NAMES = { sequenceLength: 'sequenceLength', policy: (policy: string) => `overlong: '${policy}'` };

/** A held-out split left with nothing to learn evaluates nothing: its stats still go to the 'started' event. */
function packHeldOut(pack: () => PackedDataset): PackedDataset {
  try {
    return pack();
  } catch (error) {
    if (error instanceof NothingToLearnError) return { rows: [], stats: error.stats };
    throw error;
  }
}

/** The sample prompt in the dataset's format, so the reply shows what training teaches. */
function sampleRequestFor(prompt: string, example: TrainingExample, maxTokens: number): GenerateTextOptions {
  return 'messages' in example ? { messages: [{ role: 'user', content: prompt }], maxTokens } : { prompt, maxTokens };
}

function resolveJob(job: FineTuneJob): ResolvedJob {
  const options = { ...FINE_TUNE_DEFAULTS, ...Object.fromEntries(Object.entries(job).filter(([, value]) => value !== undefined)) } as FineTuneJob & ResolvedJob;
  const positiveInteger = (key: 'epochs' | 'batchSize' | 'sequenceLength' | 'sampleTokens') => {
    if (!Number.isInteger(options[key]) || options[key] < 1) throw new TrainingInputError(key, 'a positive integer', String(options[key]), `set ${key} to 1 or more`);
  };
  positiveInteger('epochs');
  positiveInteger('batchSize');
  positiveInteger('sequenceLength');
  positiveInteger('sampleTokens');
  if (!OVERLONG_POLICIES.includes(options.overlong)) throw new TrainingInputError('overlong', "'drop' or 'truncate'", String(options.overlong), 'drop over-long samples (the default) or truncate them');
  if (job.learningRate !== undefined && !(job.learningRate > 0)) throw new TrainingInputError('learningRate', 'a positive number', String(job.learningRate), 'try 1e-3 for full fine-tuning, 1e-2 for LoRA');
  if (!(options.evalFraction >= 0 && options.evalFraction < 1)) throw new TrainingInputError('evalFraction', 'a share in [0, 1)', String(options.evalFraction), 'hold out e.g. 0.1 of the examples, or 0 for none');
  return options;
}

/** A seeded held-out split of whole examples; at least one example always trains. */
function splitExamples(examples: TrainingExample[], fraction: number, seed: number): { train: TrainingExample[]; evaluation: TrainingExample[] } {
  const held = Math.min(examples.length - 1, Math.round(examples.length * fraction));
  if (held <= 0) return { train: examples, evaluation: [] };
  const random = new SeededRandom((seed * 7_919 + 17) >>> 0);
  const order = examples.map((_, index) => index);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(random.uniform() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const heldOut = new Set(order.slice(0, held));
  return { train: examples.filter((_, index) => !heldOut.has(index)), evaluation: examples.filter((_, index) => heldOut.has(index)) };
}

/**
 * Held-out rows in batches of the training batch's shape (so the activations are not reallocated);
 * the last batch is completed with rows from the start, which counts those rows twice in the mean.
 */
function evaluationBatches(rows: PackedRow[], batchSize: number): TrainingBatch[] {
  if (rows.length === 0) return [];
  const B = Math.min(batchSize, rows.length);
  const T = rows[0]!.ids.length;
  const batches: TrainingBatch[] = [];
  for (let start = 0; start < rows.length; start += B) {
    const batch: TrainingBatch = { batchSize: B, sequenceLength: T, ids: new Int32Array(B * T), targets: new Int32Array(B * T), positions: new Int32Array(B * T), segmentIds: new Int32Array(B * T) };
    for (let b = 0; b < B; b++) {
      const row = rows[(start + b) % rows.length]!;
      batch.ids.set(row.ids, b * T);
      batch.targets.set(row.targets, b * T);
      batch.positions!.set(row.positions, b * T);
      batch.segmentIds!.set(row.segmentIds, b * T);
    }
    batches.push(batch);
  }
  return batches;
}

/** The requested backend, or with 'auto' the first that can train (WebGPU on a hardware adapter, else wasm). */
async function trainingBackend(choice: ResolvedJob['backend']): Promise<{ backend: TrainingBackend; fallback?: string }> {
  let fallback: string | undefined;
  const backend: Backend = await createBackend({ backend: choice, onFallback: (reason) => (fallback = reason) });
  if (supportsTraining(backend)) return { backend, fallback };
  if (choice !== 'auto') {
    backend.dispose();
    throw new TrainingNotSupportedError(backend.name);
  }
  backend.dispose();
  const wasm = await createWasmBackend();
  return { backend: wasm as TrainingBackend, fallback: `${backend.info.description} cannot train; using wasm` };
}

const blob = (chunks: readonly (Uint8Array | string)[], type: string) => new Blob(chunks as BlobPart[], { type });

async function exportFiles(model: LlamaTrainingModel, source: TrainingModelSource, dtype: ResolvedJob['exportDtype']): Promise<Pick<FineTuneResult, 'model' | 'adapter'>> {
  const json = (value: unknown) => blob([`${JSON.stringify(value, null, 2)}\n`], 'application/json');
  const files: NamedBlob[] = [
    { name: 'config.json', blob: json(hfConfigJson(model.config, TORCH_DTYPES[dtype], source.sourceConfig)) },
    { name: 'model.safetensors', blob: blob(await encodeModelSafetensors(model, dtype), 'application/octet-stream') },
    ...Object.entries(source.extraFiles).map(([name, text]) => ({ name, blob: blob([text], 'application/json') })),
  ];
  if (!model.lora) return { model: files };
  const baseModel = typeof source.sourceConfig['_name_or_path'] === 'string' ? source.sourceConfig['_name_or_path'] : source.id;
  const adapter = await encodePeftAdapter(model, baseModel);
  return {
    model: files,
    adapter: [
      { name: PEFT_CONFIG_FILE, blob: json(adapter.config) },
      { name: PEFT_WEIGHTS_FILE, blob: blob(adapter.weights, 'application/octet-stream') },
    ],
  };
}
