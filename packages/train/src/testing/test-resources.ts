import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createWasmBackend, type WasmBackend } from '@cria/kernels';
import { TINY_LLAMA, writeTestModel } from '@cria/runtime';
import { afterAll, beforeAll } from 'vitest';

// Resources one test file shares across its tests: each call registers its own clean-up with
// vitest's afterAll, so the file cannot leak a directory or a backend when a test fails.

/** A fresh directory under the OS temporary folder, removed after the calling file's tests. */
export function temporaryDirectory(prefix: string): string {
  const directory = mkdtempSync(join(tmpdir(), prefix));
  afterAll(() => rmSync(directory, { recursive: true, force: true }));
  return directory;
}

/** A single-threaded wasm backend created before the file's tests and disposed after them; call it inside a test. */
export function sharedWasmBackend(): () => WasmBackend {
  let backend: WasmBackend | undefined;
  beforeAll(async () => {
    backend = await createWasmBackend({ threads: 1 });
  });
  afterAll(() => backend?.dispose());
  return () => {
    if (!backend) throw new Error('sharedWasmBackend: the backend exists only inside the tests (beforeAll has not run)');
    return backend;
  };
}

/** TINY_LLAMA written as a Hugging Face checkpoint (no GGUF files) before the file's tests. */
export interface TinyLlamaCheckpoint {
  /** the temporary folder it is written to, free for the tests' own files */
  readonly directory: string;
  /** the checkpoint's folder: config.json, model.safetensors, tokenizer files */
  readonly hf: string;
}

export function tinyLlamaCheckpoint(prefix: string): TinyLlamaCheckpoint {
  const directory = temporaryDirectory(prefix);
  beforeAll(async () => {
    await writeTestModel(directory, TINY_LLAMA, { ggufTypes: [] });
  });
  return { directory, hf: join(directory, 'hf') };
}
