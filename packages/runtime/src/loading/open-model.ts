import { loadTokenizer, tokenizerFromGguf, type Tokenizer } from '@cria/tokenizer';
import { ModelNotFoundError } from '../engine/engine-errors.js';
import { formatError } from '../formats/errors.js';
import { GgufFile } from '../formats/gguf/gguf-file.js';
import type { WeightReader } from '../formats/host-tensor.js';
import { SafetensorsFile } from '../formats/safetensors/safetensors-file.js';
import { SAFETENSORS_INDEX_FILE, ShardedSafetensors } from '../formats/safetensors/sharded-safetensors.js';
import { configFromGguf, configFromHf, type ModelConfig } from '../model/model-config.js';
import { inverseFrequenciesFromFactors } from '../model/rope-scaling.js';
import { lmHeadName, type CheckpointFormat } from '../model/weight-names.js';
import { resolveModelLocation, type ModelLocation } from './model-location.js';

/** A model whose headers are read and checked, with its weights still on disk (or the network). */
export interface OpenModel {
  /** A display id: the directory or file name. */
  id: string;
  /** The file the weights come from, for errors. */
  file: string;
  format: CheckpointFormat;
  config: ModelConfig;
  tokenizer: Tokenizer;
  reader: WeightReader;
}

/** Opens a model directory (HF), a .gguf file, or a URL of either; reads no weights yet. */
export async function openModel(model: string | ModelLocation): Promise<OpenModel> {
  const location = await resolveModelLocation(model);
  return location.kind === 'gguf' ? openGguf(location) : openHfDirectory(location);
}

const baseName = (name: string) => name.replace(/[\\/]+$/, '').split(/[\\/]/).pop() ?? name;

async function openGguf(location: Extract<ModelLocation, { kind: 'gguf' }>): Promise<OpenModel> {
  const file = await GgufFile.open(await location.open());
  try {
    const metadata = file.metadataRecord();
    const config = configFromGguf(metadata, location.name);
    config.tieWordEmbeddings = !file.tensors.has(lmHeadName('gguf'));
    // llama.cpp keeps Llama 3.1 rope scaling as a tensor of frequency divisors.
    if (file.tensors.has('rope_freqs.weight')) {
      config.inverseFrequencies = inverseFrequenciesFromFactors(config.headDim, config.ropeTheta, await file.readF32('rope_freqs.weight'));
    }
    const tokenizer = tokenizerFromGguf(metadata);
    return { id: baseName(location.name), file: location.name, format: 'gguf', config, tokenizer, reader: file };
  } catch (error) {
    await file.close();
    throw error;
  }
}

function parseJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw formatError('invalid-json', file, `not valid JSON (${(error as Error).message})`, 'the file is cut short or corrupt; re-download it with the weights');
  }
}

async function openHfDirectory(location: Extract<ModelLocation, { kind: 'directory' }>): Promise<OpenModel> {
  const configText = await location.readText('config.json');
  if (configText === undefined) throw new ModelNotFoundError(location.name, 'not a model directory: it has no config.json');
  const generationText = await location.readText('generation_config.json');
  const config = configFromHf(parseJson(configText, 'config.json'), generationText === undefined ? undefined : parseJson(generationText, 'generation_config.json'));

  const tokenizerText = await location.readText('tokenizer.json');
  if (tokenizerText === undefined) throw new ModelNotFoundError(location.name, 'the directory has no tokenizer.json (Cria reads the fast-tokenizer file; export one with transformers)');
  const tokenizerConfigText = await location.readText('tokenizer_config.json');
  const tokenizer = loadTokenizer(tokenizerText, tokenizerConfigText);

  const indexText = await location.readText(SAFETENSORS_INDEX_FILE);
  let reader: WeightReader;
  let file: string;
  if (indexText !== undefined) {
    reader = await ShardedSafetensors.open(SAFETENSORS_INDEX_FILE, indexText, (shard) => location.open(shard));
    file = SAFETENSORS_INDEX_FILE;
  } else {
    reader = await SafetensorsFile.open(
      await location.open('model.safetensors').catch(() => {
        throw new ModelNotFoundError(location.name, `the directory has neither ${SAFETENSORS_INDEX_FILE} nor model.safetensors`);
      }),
    );
    file = 'model.safetensors';
  }
  return { id: baseName(location.name), file, format: 'hf', config, tokenizer, reader };
}
