import { namedBlobs, type BrowserModelSource, type NamedBlob } from '@cria/runtime';
import {
  createWorkerTrainer, describeOverlong, type FineTuneEvent, type FineTuneJob, type FineTuneResult, type OverlongFixNames, type TrainingRun, type WorkerTrainer,
} from '@cria/train';
import { chatWithTrainedModel } from '../chat/chat-panel.js';
import { DEFAULT_MODEL } from '../chat/model-choice.js';
import { byId, element } from '../dom.js';
import { EXAMPLE_DATASET } from './example-dataset.js';
import { drawLossChart, type LossPoint } from './loss-chart.js';

/**
 * The Train tab: fine-tunes a model on pasted or uploaded JSONL in a Web Worker (createWorkerTrainer),
 * draws the loss live, offers the exports as downloads and hands the result to the Chat tab.
 * Progress is mirrored in data-* attributes on #train for the e2e test:
 * data-state idle → loading → training → exporting → done | stopped | error; data-overlong counts
 * the training samples longer than seq len (dropped or truncated, and said so in #train-warning).
 */
const WORKER_URL = new URL('./train-worker.js', import.meta.url);

let trainer: WorkerTrainer | undefined;
let run: TrainingRun | undefined;
let result: FineTuneResult | undefined;
let downloadUrls: string[] = [];
let trainPoints: LossPoint[] = [];
let evalPoints: LossPoint[] = [];
let totalSteps = 0;
let redrawQueued = false;

const section = () => byId('train');
/** The fixes a packing warning names, in this form's words. */
const FIX_NAMES: OverlongFixNames = { sequenceLength: '"seq len"', policy: (policy) => `"longer samples: ${policy}"` };
const setState = (state: string) => (section().dataset.state = state);
const value = (id: string) => byId<HTMLInputElement | HTMLSelectElement>(id).value;
const number = (id: string) => Number(value(id));

function setStatus(text: string, tone?: 'pass' | 'fail'): void {
  const node = byId('train-status');
  node.textContent = text;
  node.className = `summary${tone ? ` ${tone}` : ''}`;
}

function modelSource(): BrowserModelSource | string {
  const choice = value('train-model');
  if (choice === 'default') return { url: new URL(`${DEFAULT_MODEL}hf/`, location.href).href, cache: false };
  if (choice === 'url') {
    const url = value('train-model-url').trim();
    return /^https?:\/\//i.test(url) ? { url } : 'Enter the URL of a Hugging Face model folder (config.json, model.safetensors, tokenizer.json)';
  }
  const files = [...(byId<HTMLInputElement>('train-model-files').files ?? [])];
  return files.length ? { files: namedBlobs(files) } : 'Pick a model folder (config.json, model.safetensors, tokenizer files)';
}

function job(model: BrowserModelSource): FineTuneJob {
  const lora = value('train-method') === 'lora' ? { rank: number('train-rank'), alpha: 2 * number('train-rank'), targets: ['q', 'k', 'v', 'o'] as const } : undefined;
  return {
    model,
    dataset: value('train-dataset'),
    ...(lora ? { lora: { ...lora, targets: [...lora.targets] } } : {}),
    epochs: number('train-epochs'),
    learningRate: number('train-lr'),
    batchSize: number('train-batch'),
    sequenceLength: number('train-seq-len'),
    overlong: value('train-overlong') as FineTuneJob['overlong'],
    evalFraction: number('train-eval') / 100,
    backend: value('train-backend') as FineTuneJob['backend'],
  };
}

function redraw(): void {
  if (redrawQueued) return;
  redrawQueued = true;
  requestAnimationFrame(() => {
    redrawQueued = false;
    byId('train-chart').replaceChildren(drawLossChart(trainPoints, evalPoints, totalSteps));
  });
}

function onEvent(event: FineTuneEvent): void {
  const node = section();
  if (event.type === 'loading') {
    setStatus(`Reading the model in the worker: ${event.progress.phase} ${(event.progress.loadedBytes / 1e6).toFixed(2)} / ${(event.progress.totalBytes / 1e6).toFixed(2)} MB`);
  } else if (event.type === 'started') {
    totalSteps = event.totalSteps;
    node.dataset.backend = event.backend;
    node.dataset.overlong = String(event.packing.train.overlongSamples);
    const warnings = [
      describeOverlong(event.packing.train, FIX_NAMES),
      event.packing.evaluation && describeOverlong(event.packing.evaluation, FIX_NAMES)?.replace(/^/, 'Held out: '),
    ].filter(Boolean);
    byId('train-warning').textContent = warnings.join(' ');
    byId('train-warning').hidden = warnings.length === 0;
    setState('training');
    setStatus(
      `Training ${event.trainableParameters.toLocaleString('en')} of ${event.parameters.toLocaleString('en')} parameters on ${event.backend}: ` +
        `${event.trainRows} packed rows of ${event.sequenceLength} tokens (${event.evalRows} held out), batch ${event.batchSize}, ${event.totalSteps} steps` +
        (event.fallback ? ` (${event.fallback})` : ''),
    );
  } else if (event.type === 'step') {
    trainPoints.push({ step: event.step, loss: event.loss });
    node.dataset.steps = String(event.step);
    if (event.step === 1) node.dataset.firstLoss = String(event.loss);
    node.dataset.lastLoss = String(event.loss);
    const held = evalPoints.at(-1);
    byId('train-metrics').textContent =
      `step ${event.step}/${event.totalSteps} · epoch ${event.epoch} · loss ${event.loss.toFixed(4)}` +
      (held ? ` · held-out ${held.loss.toFixed(4)}` : '') +
      ` · lr ${event.learningRate.toExponential(2)} · grad norm ${event.gradNorm.toFixed(3)} · ${event.tokensPerSecond.toFixed(0)} tokens/s · ${node.dataset.backend}`;
    redraw();
  } else if (event.type === 'eval') {
    evalPoints.push({ step: event.step, loss: event.loss });
    node.dataset.evalLoss = String(event.loss);
    redraw();
  } else if (event.type === 'exporting') {
    setState('exporting');
    setStatus('Exporting the weights…');
  }
}

function showDownloads(finished: FineTuneResult): void {
  for (const url of downloadUrls) URL.revokeObjectURL(url);
  downloadUrls = [];
  const link = (file: NamedBlob, prefix: string) => {
    const url = URL.createObjectURL(file.blob);
    downloadUrls.push(url);
    return element('a', { href: url, download: `${prefix}${file.name}`, 'data-file': file.name, class: 'download' }, `${file.name} (${file.blob.size < 1e3 ? `${file.blob.size} B` : `${(file.blob.size / 1e3).toFixed(0)} kB`})`);
  };
  byId('train-downloads').replaceChildren(
    element('span', { class: 'muted' }, 'Hugging Face model: '),
    ...finished.model.map((file) => link(file, 'cria-finetuned-')),
    ...(finished.adapter ? [element('span', { class: 'muted' }, ' PEFT adapter: '), ...finished.adapter.map((file) => link(file, 'cria-adapter-'))] : []),
  );
}

async function start(): Promise<void> {
  if (run) return;
  const model = modelSource();
  if (typeof model === 'string') return setStatus(model, 'fail');
  setState('loading');
  trainPoints = [];
  evalPoints = [];
  totalSteps = 0;
  result = undefined;
  for (const key of ['steps', 'firstLoss', 'lastLoss', 'evalLoss', 'backend', 'overlong']) delete section().dataset[key];
  byId('train-warning').hidden = true;
  byId('train-metrics').textContent = '';
  byId('train-downloads').replaceChildren();
  byId<HTMLButtonElement>('train-chat').disabled = true;
  byId<HTMLButtonElement>('train-start').disabled = true;
  byId<HTMLButtonElement>('train-stop').disabled = false;
  setStatus('Starting the training worker…');
  trainer ??= createWorkerTrainer(WORKER_URL);
  const started = performance.now();
  try {
    run = trainer.fineTune(job(model), { onEvent });
    result = await run.result;
    showDownloads(result);
    byId<HTMLButtonElement>('train-chat').disabled = false;
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    setStatus(`${result.stopped ? 'Stopped' : 'Done'} after ${result.steps} steps in ${seconds} s: loss ${trainPoints[0]?.loss.toFixed(3) ?? '?'} → ${result.finalLoss.toFixed(4)}. Download the weights or chat with them.`, 'pass');
    setState(result.stopped ? 'stopped' : 'done');
  } catch (error) {
    setStatus(`Training failed: ${(error as Error).name}: ${(error as Error).message}`, 'fail');
    setState('error');
  } finally {
    run = undefined;
    byId<HTMLButtonElement>('train-start').disabled = false;
    byId<HTMLButtonElement>('train-stop').disabled = true;
  }
}

export function setupTrain(): void {
  byId<HTMLTextAreaElement>('train-dataset').value = EXAMPLE_DATASET;
  const choice = byId<HTMLSelectElement>('train-model');
  const showInputs = () => {
    byId('train-model-url').hidden = choice.value !== 'url';
    byId('train-model-files').hidden = choice.value !== 'files';
  };
  choice.addEventListener('change', showInputs);
  showInputs();
  byId<HTMLInputElement>('train-dataset-file').addEventListener('change', async (event) => {
    const file = (event.target as HTMLInputElement).files?.[0];
    if (file) byId<HTMLTextAreaElement>('train-dataset').value = await file.text();
  });
  byId('train-start').addEventListener('click', () => void start());
  byId('train-stop').addEventListener('click', () => run?.stop());
  byId('train-chat').addEventListener('click', () => {
    if (result) void chatWithTrainedModel(result.model, /wasm/i.test(result.backend) ? 'wasm' : 'webgpu');
  });
  section().dataset.worker = 'worker';
  setState('idle');
}
