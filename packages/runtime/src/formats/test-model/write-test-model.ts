import { writeChunks } from '../chunks.js';
import type { SafetensorsDType } from '../safetensors/safetensors-header.js';
import { testModelGguf, testModelHfFiles, type TestGgufType } from './test-model.js';
import type { TestModelConfig } from './test-model-config.js';

export interface WriteTestModelOptions {
  /** Element type of the Hugging Face form's safetensors (default F32). */
  readonly hfDtype?: SafetensorsDType;
  /** Safetensors files the Hugging Face form's weights are sharded over, with an index (default 1: `model.safetensors`). */
  readonly hfShards?: number;
  /** GGUF files to write, one per type (default all four). */
  readonly ggufTypes?: readonly TestGgufType[];
}

/**
 * Writes a test model to `directory` (Node only): the Hugging Face form under `hf/`
 * (config.json, model.safetensors or shards and their index, tokenizer files) and `model-<type>.gguf` per GGUF type.
 * Returns the paths written.
 */
export async function writeTestModel(directory: string, config: TestModelConfig, options: WriteTestModelOptions = {}): Promise<string[]> {
  const { mkdir } = await import('node:fs/promises');
  const { join } = await import('node:path');
  const written: string[] = [];
  const hfDirectory = join(directory, 'hf');
  await mkdir(hfDirectory, { recursive: true });
  for (const [name, chunks] of Object.entries(testModelHfFiles(config, options.hfDtype, options.hfShards))) {
    await writeChunks(join(hfDirectory, name), chunks);
    written.push(join(hfDirectory, name));
  }
  for (const type of options.ggufTypes ?? (['F32', 'F16', 'Q8_0', 'Q4_0'] as const)) {
    const path = join(directory, `model-${type.toLowerCase()}.gguf`);
    await writeChunks(path, testModelGguf(config, type));
    written.push(path);
  }
  return written;
}
