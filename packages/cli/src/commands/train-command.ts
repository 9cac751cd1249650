/**
 * `cria train`: fine-tunes a model (full, or LoRA with --lora-rank) on a JSONL dataset, or trains
 * one from scratch (--model new:config.json), with @cria/train. Progress on stderr, a JSONL log,
 * evaluation on a held-out split each epoch, atomic checkpoints every N steps (--resume continues
 * from the last one), and the export at the end: a Hugging Face directory (merged, for LoRA), the
 * PEFT adapter (LoRA), and GGUF files on request. Over-long samples are dropped (or, with
 * --overlong truncate, cut) and always reported; --sample-prompt prints a greedy sample from the
 * weights being trained after every epoch.
 */
import { existsSync } from 'node:fs';
import { appendFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { createBackend, supportsTraining } from '@cria/kernels';
import { configFromHf } from '@cria/runtime';
import { loadTokenizer } from '@cria/tokenizer';
import {
  DataLoader, GGUF_EXPORT_TYPES, LlamaTrainingModel, LORA_TARGETS, OVERLONG_POLICIES, Trainer, exportGguf, exportHfModel, exportPeftAdapter, generateText, ggufTokenizerMetadata,
  initializeOptionsFromHfConfig, loadCheckpoint, openGgufWeightsFile, openPretrainedWeights, parseLoraTargets, parseTrainingJsonl, saveCheckpoint,
  tokenizeExample, type GgufExportType, type GenerateTextOptions,
} from '@cria/train';
import { CliError, UsageError } from '../cli-errors.js';
import type { Command, CommandIO, OptionValues } from './command.js';
import { optionalChoice, optionalNumber, optionalString, requireString } from './command-options.js';
import { prepareTrainingData } from './train-data.js';
import { createTrainingProgress } from './train-progress.js';

const COMMAND = 'train';
const TRAIN_BACKENDS = ['auto', 'wasm', 'reference', 'webgpu'] as const;
export const CHECKPOINT_FILE = 'checkpoint.safetensors';
export const LOG_FILE = 'train-log.jsonl';

export const trainCommand: Command = {
  name: COMMAND,
  summary: 'Fine-tune (full or LoRA) or train from scratch a Llama-family model on a JSONL dataset.',
  usage: 'cria train --model <dir|file.gguf|new:config.json> --data <file.jsonl> --out <dir> [options]',
  options: {
    model: { type: 'string', short: 'm', placeholder: 'dir|file.gguf|new:config.json', description: 'a Hugging Face model directory, a GGUF file (needs --tokenizer), or new:<config.json> for a freshly initialised model (needs --tokenizer)' },
    tokenizer: { type: 'string', placeholder: 'dir', description: 'directory with tokenizer.json (+ tokenizer_config.json)', defaultText: 'the model directory' },
    data: { type: 'string', short: 'd', placeholder: 'file.jsonl', description: 'one {"prompt","completion"} or {"messages":[...]} object per line' },
    out: { type: 'string', short: 'o', placeholder: 'dir', description: 'where checkpoints, the log and the exported model go' },
    'lora-rank': { type: 'string', placeholder: 'r', description: 'train a LoRA adapter of this rank on the frozen model instead of every weight' },
    'lora-alpha': { type: 'string', placeholder: 'alpha', description: 'LoRA scaling numerator (scaling alpha/r)', defaultText: '2 × rank' },
    'lora-targets': { type: 'string', placeholder: 'q,k,v,o,gate,up,down', description: 'linear layers that get an adapter', defaultText: 'q,k,v,o' },
    'lora-dropout': { type: 'string', placeholder: 'p', description: 'dropout on the adapter input', defaultText: '0' },
    'base-dtype': { type: 'string', placeholder: 'f32|q8_0|q4_0', description: 'LoRA: store the frozen linear weights quantized (QLoRA)', defaultText: 'f32; a Q8_0/Q4_0 GGUF model: its own type' },
    epochs: { type: 'string', placeholder: 'n', description: 'passes over the training split', defaultText: '1' },
    lr: { type: 'string', placeholder: 'rate', description: 'peak learning rate (warmup 5%, then cosine)', defaultText: '1e-3 (LoRA), 1e-4 (full)' },
    batch: { type: 'string', placeholder: 'rows', description: 'packed rows per step', defaultText: '4' },
    'seq-len': { type: 'string', placeholder: 'tokens', description: 'tokens per packed row', defaultText: '256' },
    overlong: { type: 'string', placeholder: OVERLONG_POLICIES.join('|'), description: 'samples longer than --seq-len: drop them, or truncate them (cutting their end-of-turn token); either way reported', defaultText: 'drop' },
    'eval-split': { type: 'string', placeholder: 'fraction', description: 'share of the examples held out for the evaluation loss', defaultText: '0.1' },
    'checkpoint-every': { type: 'string', placeholder: 'steps', description: 'write a checkpoint every N steps (and at the end)', defaultText: '50' },
    resume: { type: 'boolean', description: `continue from --out/${CHECKPOINT_FILE} with the same options` },
    export: { type: 'string', multiple: true, placeholder: 'gguf:f32|f16|q8_0|q4_0', description: 'also write a GGUF of the trained model' },
    backend: { type: 'string', short: 'b', placeholder: TRAIN_BACKENDS.join('|'), description: 'where training runs (a backend with the training ops: reference, wasm, webgpu)', defaultText: 'wasm' },
    seed: { type: 'string', placeholder: 'n', description: 'seeds initialisation, LoRA, dropout, data order and the split', defaultText: '0' },
    'sample-prompt': { type: 'string', placeholder: 'text', description: 'after every epoch, print the greedy reply of the weights being trained (a user turn for chat data, raw text for prompt/completion data)' },
    'sample-tokens': { type: 'string', placeholder: 'n', description: 'tokens a --sample-prompt reply may have', defaultText: '48' },
  },
  details: `Examples:
  cria train -m ./SmolLM2-135M -d chats.jsonl -o run1 --lora-rank 8 --epochs 2
  cria train -m new:config.json --tokenizer ./tok -d data.jsonl -o scratch --lr 3e-3 --export gguf:q8_0
  cria train -m model-q8_0.gguf --tokenizer ./SmolLM2-135M -d chats.jsonl -o run2 --lora-rank 8
Writes --out/${LOG_FILE} (a first line {"packing": {"train", "eval"}} with what packing dropped or
truncated, then step, loss, lr, grad_norm, tokens_per_second, eval_loss and sample per line),
--out/${CHECKPOINT_FILE}, --out/model (Hugging Face; LoRA merged), --out/adapter (PEFT, with LoRA).
A GGUF --model is dequantized to f32 (full fine-tuning), or with --lora-rank kept as a Q8_0/Q4_0
frozen base; llama.cpp's q/k permutation is undone, so exports are in Hugging Face layout.`,
  run: runTrain,
};

interface Settings {
  model: string;
  data: string;
  out: string;
  loraRank: number | undefined;
  loraAlpha: number | undefined;
  loraDropout: number;
  loraTargets: ReturnType<typeof parseLoraTargets>;
  /** undefined: f32, or a quantized GGUF's own type */
  baseDtype: 'f32' | 'q8_0' | 'q4_0' | undefined;
  epochs: number;
  learningRate: number;
  batchSize: number;
  sequenceLength: number;
  overlong: (typeof OVERLONG_POLICIES)[number];
  evalSplit: number;
  checkpointEvery: number;
  seed: number;
  exports: GgufExportType[];
  samplePrompt: string | undefined;
  sampleTokens: number;
}

function readSettings(values: OptionValues): Settings {
  const number = (name: string, range: { min: number; max: number; integer?: boolean }) => optionalNumber(values, name, COMMAND, range);
  const loraRank = number('lora-rank', { min: 1, max: 4096, integer: true });
  const targets = parseLoraTargets(optionalString(values, 'lora-targets') ?? 'q,k,v,o');
  for (const target of targets) if (!LORA_TARGETS.includes(target)) throw new UsageError(`--lora-targets: unknown layer "${target}"; choose from ${LORA_TARGETS.join(',')}`, COMMAND);
  const baseDtype = optionalChoice(values, 'base-dtype', ['f32', 'q8_0', 'q4_0'] as const, COMMAND);
  if (baseDtype !== undefined && baseDtype !== 'f32' && loraRank === undefined) throw new UsageError('--base-dtype needs --lora-rank (a quantized base is frozen)', COMMAND);
  const exports = ((values.export as string[] | undefined) ?? []).map((text) => {
    const type = /^gguf:(.+)$/i.exec(text)?.[1]?.toUpperCase() as GgufExportType | undefined;
    if (!type || !GGUF_EXPORT_TYPES.includes(type)) throw new UsageError(`--export must be gguf:f32|f16|q8_0|q4_0; got "${text}"`, COMMAND);
    return type;
  });
  return {
    model: requireString(values, 'model', COMMAND),
    data: requireString(values, 'data', COMMAND),
    out: requireString(values, 'out', COMMAND),
    loraRank,
    loraAlpha: number('lora-alpha', { min: 1e-6, max: 1e6 }),
    loraDropout: number('lora-dropout', { min: 0, max: 0.99 }) ?? 0,
    loraTargets: targets,
    baseDtype,
    epochs: number('epochs', { min: 1, max: 1e6, integer: true }) ?? 1,
    learningRate: number('lr', { min: 0, max: 10 }) ?? (loraRank ? 1e-3 : 1e-4),
    batchSize: number('batch', { min: 1, max: 1 << 16, integer: true }) ?? 4,
    sequenceLength: number('seq-len', { min: 2, max: 1 << 20, integer: true }) ?? 256,
    overlong: optionalChoice(values, 'overlong', OVERLONG_POLICIES, COMMAND) ?? 'drop',
    evalSplit: number('eval-split', { min: 0, max: 0.9 }) ?? 0.1,
    checkpointEvery: number('checkpoint-every', { min: 1, max: 1e9, integer: true }) ?? 50,
    seed: number('seed', { min: 0, max: 2 ** 32 - 1, integer: true }) ?? 0,
    exports,
    samplePrompt: optionalString(values, 'sample-prompt'),
    sampleTokens: number('sample-tokens', { min: 1, max: 4096, integer: true }) ?? 48,
  };
}

async function runTrain(values: OptionValues, io: CommandIO): Promise<number> {
  const settings = readSettings(values);
  const { out } = settings;
  const fresh = settings.model.startsWith('new:');
  const ggufModel = settings.model.toLowerCase().endsWith('.gguf');
  const tokenizerDirectory = optionalString(values, 'tokenizer') ?? (fresh || ggufModel ? undefined : settings.model);
  // A GGUF's own tokenizer metadata has no chat template file nor tokenizer.json to export beside the model.
  if (!tokenizerDirectory) throw new UsageError(`--model ${fresh ? 'new:config.json' : 'file.gguf'} needs --tokenizer <dir> (with tokenizer.json)`, COMMAND);
  const checkpointPath = join(out, CHECKPOINT_FILE);
  const resume = values.resume === true;
  if (resume && !existsSync(checkpointPath)) throw new CliError(`--resume: ${checkpointPath} does not exist`, 'run without --resume to start, or point --out at the run to continue');

  // Model, tokenizer and data.
  const readText = async (directory: string, name: string) => (existsSync(join(directory, name)) ? readFile(join(directory, name), 'utf8') : undefined);
  const tokenizerJson = await readText(tokenizerDirectory, 'tokenizer.json');
  if (tokenizerJson === undefined) throw new CliError(`${tokenizerDirectory} has no tokenizer.json`, 'pass --tokenizer <dir> with the fast-tokenizer file');
  const tokenizerConfigJson = await readText(tokenizerDirectory, 'tokenizer_config.json');
  const tokenizer = loadTokenizer(tokenizerJson, tokenizerConfigJson);
  const sourceConfig = ggufModel ? undefined : (JSON.parse(await readFile(fresh ? settings.model.slice(4) : join(settings.model, 'config.json'), 'utf8')) as Record<string, unknown>);
  const parsed = parseTrainingJsonl(await readFile(settings.data, 'utf8'), settings.data);
  const examples = parsed.map((example) => tokenizeExample(tokenizer, example));
  const prepared = prepareTrainingData(examples, { ...settings, padId: tokenizer.eosTokenId ?? 0 });
  const { evalBatches } = prepared;
  const rows = prepared.train.rows;
  const data = new DataLoader(prepared.train, { batchSize: Math.min(settings.batchSize, rows.length), seed: settings.seed });
  const totalSteps = settings.epochs * data.batchesPerEpoch;
  // Sampled in the dataset's own format, so the reply shows what training teaches.
  const sampleRequest: GenerateTextOptions | undefined = settings.samplePrompt === undefined ? undefined
    : parsed.length > 0 && 'messages' in parsed[0]! ? { messages: [{ role: 'user', content: settings.samplePrompt }], maxTokens: settings.sampleTokens }
      : { prompt: settings.samplePrompt, maxTokens: settings.sampleTokens };

  const backend = await createBackend({ backend: optionalChoice(values, 'backend', TRAIN_BACKENDS, COMMAND) ?? 'wasm' });
  if (!supportsTraining(backend)) {
    backend.dispose();
    throw new CliError(`the ${backend.name} backend cannot train yet`, 'pass --backend wasm (or reference)');
  }
  const lora = settings.loraRank
    ? { rank: settings.loraRank, alpha: settings.loraAlpha ?? 2 * settings.loraRank, dropout: settings.loraDropout, targets: settings.loraTargets, seed: settings.seed }
    : undefined;
  let model: LlamaTrainingModel;
  let baseDtype: 'f32' | 'q8_0' | 'q4_0';
  try {
    // The file's headers, then its tensors one at a time straight onto the backend (load closes the source).
    const weights = fresh ? undefined : ggufModel ? await openGgufWeightsFile(settings.model) : await openPretrainedWeights(settings.model);
    baseDtype = settings.baseDtype ?? weights?.quantizedBase ?? 'f32';
    const modelOptions = { lora, baseDtype: lora ? baseDtype : undefined };
    // From scratch: initializer_range and pad_token_id come from the config.json, as in transformers.
    model = weights
      ? await LlamaTrainingModel.load(backend, weights, modelOptions)
      : LlamaTrainingModel.initialize(backend, configFromHf(sourceConfig!), initializeOptionsFromHfConfig(sourceConfig!, settings.seed), modelOptions);
  } catch (error) {
    backend.dispose();
    throw error;
  }
  const { config } = model;
  const trainer = new Trainer(model, {
    weightDecay: 0.01,
    maxGradNorm: 1,
    schedule: { learningRate: settings.learningRate, warmupSteps: Math.floor(totalSteps * 0.05), totalSteps, decay: 'cosine' },
  });
  try {
    await mkdir(out, { recursive: true });
    const logPath = join(out, LOG_FILE);
    if (resume) {
      const state = await loadCheckpoint(checkpointPath, trainer);
      data.seek(state.data);
      io.stderr.write(`resuming ${checkpointPath} at step ${state.step}\n`);
    } else {
      await writeFile(logPath, `${JSON.stringify({ packing: { train: prepared.train.stats, eval: prepared.evaluation ?? null } })}\n`);
    }
    for (const warning of prepared.warnings) io.stderr.write(`${warning}\n`);
    const kind = lora ? `LoRA r=${lora.rank} on ${lora.targets.join(',')}${baseDtype !== 'f32' ? ` (${baseDtype} base)` : ''}` : 'full fine-tuning';
    io.stderr.write(`training ${basename(settings.model)} (${kind}, ${model.parameters.trainable.reduce((sum, p) => sum + p.value.size, 0)} trainable parameters) on ${backend.name}: ` +
      `${rows.length} rows of ${settings.sequenceLength} tokens, ${prepared.heldOut} held-out examples, ${totalSteps} steps\n`);
    const checkpoint = async () => {
      await saveCheckpoint(checkpointPath, trainer, { step: trainer.step, data: data.position, seeds: { run: settings.seed }, settings });
    };

    const progress = createTrainingProgress(io.stderr);
    const started = performance.now();
    let epoch = data.position.epoch;
    while (trainer.step < totalSteps) {
      const stepStart = performance.now();
      const report = await trainer.trainStep([data.next()]);
      const tokensPerSecond = report.tokens / ((performance.now() - stepStart) / 1000);
      const entry: Record<string, number | string> = { step: report.step, loss: report.loss, lr: report.learningRate, grad_norm: report.gradNorm, tokens_per_second: tokensPerSecond };
      const epochDone = report.step % data.batchesPerEpoch === 0;
      if (epochDone && evalBatches.length > 0) {
        entry['eval_loss'] = await trainer.evaluate(evalBatches);
        progress.note(`epoch ${epoch + 1}: eval loss ${entry['eval_loss'].toFixed(4)}`);
      }
      if (epochDone && sampleRequest) {
        entry['sample'] = (await generateText(model, tokenizer, sampleRequest)).text;
        progress.note(`epoch ${epoch + 1}: sample ${JSON.stringify(settings.samplePrompt)} → ${JSON.stringify(entry['sample'])}`);
      }
      if (epochDone) epoch++;
      await appendFile(logPath, `${JSON.stringify(entry)}\n`);
      progress.update({ step: report.step, totalSteps, epoch: Math.min(epoch, settings.epochs - 1), loss: report.loss, tokensPerSecond, elapsed: (performance.now() - started) / 1000 });
      if (report.step % settings.checkpointEvery === 0 || report.step === totalSteps) await checkpoint();
    }
    progress.done();

    // Export.
    const extraFiles: Record<string, string> = { 'tokenizer.json': tokenizerJson, ...(tokenizerConfigJson ? { 'tokenizer_config.json': tokenizerConfigJson } : {}) };
    const written = await exportHfModel(model, join(out, 'model'), { sourceConfig, extraFiles });
    if (lora) written.push(...(await exportPeftAdapter(model, join(out, 'adapter'), fresh ? null : settings.model)));
    for (const type of settings.exports) {
      const path = join(out, `model-${type.toLowerCase()}.gguf`);
      await exportGguf(model, path, { type, tokenizer: ggufTokenizerMetadata(tokenizerJson, tokenizerConfigJson, { vocabSize: config.vocabSize }), name: basename(settings.model) });
      written.push(path);
    }
    io.stderr.write(`done: ${totalSteps} steps in ${((performance.now() - started) / 1000).toFixed(1)} s; wrote ${join(out, 'model')}${lora ? `, ${join(out, 'adapter')}` : ''}${settings.exports.map((type) => `, model-${type.toLowerCase()}.gguf`).join('')}\n`);
    return 0;
  } finally {
    trainer.dispose();
    model.dispose();
    backend.dispose();
  }
}
