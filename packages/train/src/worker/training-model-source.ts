import {
  browserModelLocation, isBrowserModelSource, openFileSource, openModel,
  type BrowserModelSource, type LoadProgress, type ModelConfig, type ModelLocation,
} from '@cria/runtime';
import type { Tokenizer } from '@cria/tokenizer';
import { TrainingInputError } from '../errors.js';
import { safetensorsWeightSource } from '../loading/pretrained-weights.js';
import type { TrainingWeightSource } from '../loading/weight-source.js';

/**
 * A Hugging Face model opened for training: its weights as a source (headers read and checked,
 * tensors still in the files: `LlamaTrainingModel.load` reads them one at a time and closes it), the
 * tokenizer, and the files an export copies.
 */
export interface TrainingModelSource {
  id: string;
  config: ModelConfig;
  weights: TrainingWeightSource;
  tokenizer: Tokenizer;
  /** config.json as read (kept in the export, with rope scaling and keys Cria does not model). */
  sourceConfig: Record<string, unknown>;
  /** tokenizer.json, tokenizer_config.json, generation_config.json (those present), copied into the export. */
  extraFiles: Record<string, string>;
}

export interface ReadOptions {
  onProgress?: (progress: LoadProgress) => void;
  signal?: AbortSignal;
}

const COPIED_FILES = ['tokenizer.json', 'tokenizer_config.json', 'generation_config.json'];

/**
 * Opens a model folder for training, in the browser as in Node: a BrowserModelSource (`{ url }`
 * downloaded through the Cache API, or `{ files }` picked locally), a URL, or a directory path
 * (Node; the path branch loads node:fs lazily, so a browser never touches it). Only Hugging Face
 * folders train: a GGUF is refused (its weights may be quantized and its names differ).
 */
export async function readTrainingModel(model: string | BrowserModelSource, options: ReadOptions = {}): Promise<TrainingModelSource> {
  const location = remembering(await locationOf(model, options));
  if (location.kind === 'gguf') {
    throw new TrainingInputError(`model ${location.name}`, 'a Hugging Face folder (config.json, model.safetensors, tokenizer.json)', 'a GGUF file', 'GGUF is not a training input yet; fine-tune the original safetensors model');
  }
  const opened = await openModel(location);
  try {
    const weights = safetensorsWeightSource(opened.reader, opened.config, `${location.name}/${opened.file}`);
    const extraFiles: Record<string, string> = {};
    for (const file of COPIED_FILES) {
      const text = await location.readText(file);
      if (text !== undefined) extraFiles[file] = text;
    }
    const sourceConfig = JSON.parse((await location.readText('config.json'))!) as Record<string, unknown>;
    return { id: opened.id, config: opened.config, weights, tokenizer: opened.tokenizer, sourceConfig, extraFiles };
  } catch (error) {
    await opened.reader.close();
    throw error;
  }
}

async function locationOf(model: string | BrowserModelSource, options: ReadOptions): Promise<ModelLocation> {
  if (isBrowserModelSource(model)) return browserModelLocation(model, options);
  if (/^https?:\/\//i.test(model)) return browserModelLocation({ url: model, cache: false }, options);
  return directoryLocation(model);
}

/** A local directory (Node only). */
async function directoryLocation(directory: string): Promise<ModelLocation> {
  const { readdir, readFile } = await import('node:fs/promises');
  const { join } = await import('node:path');
  const entries = await readdir(directory).catch(() => {
    throw new TrainingInputError(`model ${directory}`, 'a model directory', 'no such directory', 'pass the Hugging Face folder that holds config.json');
  });
  if (!entries.includes('config.json') && entries.some((entry) => entry.endsWith('.gguf'))) {
    return { kind: 'gguf', name: directory, open: () => Promise.reject(new Error('unreachable')) };
  }
  return {
    kind: 'directory',
    name: directory,
    readText: async (file) => (entries.includes(file) ? readFile(join(directory, file), 'utf8') : undefined),
    open: (file) => openFileSource(join(directory, file)),
  };
}

/** Reads each text file once: openModel reads config.json and the tokenizer files, the export needs them again. */
function remembering(location: ModelLocation): ModelLocation {
  if (location.kind === 'gguf') return location;
  const texts = new Map<string, Promise<string | undefined>>();
  return {
    ...location,
    readText(file) {
      if (!texts.has(file)) texts.set(file, location.readText(file));
      return texts.get(file)!;
    },
  };
}
