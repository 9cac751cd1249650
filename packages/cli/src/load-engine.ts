/**
 * Loads a model for a command: checks the location first (so "file not found" and "not a model
 * directory" are one clear line, not a stack), creates the engine with a progress bar on stderr,
 * and says what it loaded and where it runs.
 */
import { readdir, stat } from 'node:fs/promises';
import { extname, resolve } from 'node:path';
import type { Writable } from 'node:stream';
import { CliError } from './cli-errors.js';
import type { ModelSelection } from './commands/model-options.js';
import type { Engine, EngineOptions } from './engine-types.js';
import { createProgressReporter, formatBytes } from './terminal/progress-bar.js';

type CreateEngine = (options: EngineOptions) => Promise<Engine>;

const MODEL_HINT = 'pass a Hugging Face model directory (config.json + *.safetensors + tokenizer.json), a .gguf file, or an http(s) URL';

export async function loadEngine(selection: ModelSelection, stderr: Writable & { isTTY?: boolean; columns?: number }): Promise<Engine> {
  const location = isUrl(selection.model) ? selection.model : resolve(selection.model);
  if (!isUrl(location)) await checkModelPath(location);
  const createEngine = await importCreateEngine();

  const progress = createProgressReporter(stderr);
  const started = performance.now();
  let engine: Engine;
  try {
    engine = await createEngine({
      model: location,
      backend: selection.backend,
      contextLength: selection.contextLength,
      kvCacheType: selection.kvCacheType,
      onProgress: (update) => progress.update(update),
    });
  } finally {
    progress.done();
  }
  const { model } = engine;
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  stderr.write(`loaded ${model.id} (${model.architecture}, ${formatCount(model.parameters)} parameters, context ${model.contextLength}, ${model.kvCacheType} KV cache ${formatBytes(model.kvCacheBytes)}) on ${model.backend}${model.backendReason === 'requested' ? '' : ` (${model.backendReason})`} in ${seconds} s\n`);
  return engine;
}

export async function checkModelPath(path: string): Promise<void> {
  const info = await stat(path).catch(() => undefined);
  if (!info) throw new CliError(`file not found: ${path}`, MODEL_HINT);
  if (info.isFile()) {
    if (extname(path).toLowerCase() === '.gguf') return;
    throw new CliError(`not a model file: ${path} (expected a .gguf file)`, `${MODEL_HINT}; for safetensors, pass the directory that holds them`);
  }
  if (!info.isDirectory()) throw new CliError(`not a model: ${path}`, MODEL_HINT);
  const names = await readdir(path);
  if (names.includes('config.json')) return;
  const ggufs = names.filter((name) => name.toLowerCase().endsWith('.gguf'));
  if (ggufs.length > 0) {
    throw new CliError(`not a model directory: ${path} has no config.json, but holds ${ggufs.join(', ')}`, `pass the .gguf file itself, e.g. --model ${resolve(path, ggufs[0]!)}`);
  }
  throw new CliError(`not a model directory: ${path} has no config.json`, MODEL_HINT);
}

/** The runtime is loaded on first use, so `cria --help` stays instant. */
async function importCreateEngine(): Promise<CreateEngine> {
  const runtime: { createEngine?: CreateEngine } = await import('@cria/runtime');
  if (typeof runtime.createEngine !== 'function') {
    throw new CliError('the installed @cria/runtime has no createEngine', 'install a @cria/runtime release with the engine (or run `npm run build -w @cria/runtime` in a checkout)');
  }
  return runtime.createEngine;
}

function isUrl(text: string): boolean {
  return /^https?:\/\//i.test(text);
}

export function formatCount(count: number): string {
  if (count >= 1e9) return `${(count / 1e9).toFixed(1)}B`;
  if (count >= 1e6) return `${(count / 1e6).toFixed(1)}M`;
  if (count >= 1e3) return `${(count / 1e3).toFixed(1)}K`;
  return String(count);
}
