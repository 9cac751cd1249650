import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TINY_LLAMA, TINY_LLAMA3, TINY_QWEN2 } from '../formats/test-model/test-model-config.js';
import { writeTestModel } from '../formats/test-model/write-test-model.js';

/**
 * The project's tiny random-weight models (formats/test-model), written to a temp directory for a
 * test file: `<dir>/llama/{hf/, model-f32.gguf, ...}`, `<dir>/qwen2/...` and `<dir>/llama3/...` (llama3
 * RoPE scaling). Node only; tests only.
 */
export interface TestModelFiles {
  directory: string;
  llama: string;
  qwen2: string;
  llama3: string;
  remove(): Promise<void>;
}

export async function writeTestModels(): Promise<TestModelFiles> {
  const directory = await mkdtemp(join(tmpdir(), 'cria-runtime-test-'));
  const llama = join(directory, 'llama');
  const qwen2 = join(directory, 'qwen2');
  await writeTestModel(llama, TINY_LLAMA);
  await writeTestModel(qwen2, TINY_QWEN2);
  const llama3 = join(directory, 'llama3');
  await writeTestModel(llama3, TINY_LLAMA3);
  return { directory, llama, qwen2, llama3, remove: () => rm(directory, { recursive: true, force: true }) };
}
