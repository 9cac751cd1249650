// Loading end to end: from URLs (a real HTTP server on loopback answering range requests) and
// cancelled midway with an AbortSignal.
import { createWasmBackend, type Backend } from '@cria/kernels';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine } from '../engine/create-engine.js';
import { ModelNotFoundError } from '../engine/engine-errors.js';
import { serveFilesWithRanges, type RangeFileServer } from '../testing/range-file-server.js';
import { writeTestModels, type TestModelFiles } from '../testing/test-model-files.js';
import { loadModel } from './load-model.js';

let files: TestModelFiles;
let served: RangeFileServer;
let base: string;

beforeAll(async () => {
  files = await writeTestModels();
  served = await serveFilesWithRanges(files.directory);
  base = served.url;
});
afterAll(async () => {
  await served?.close();
  await files?.remove();
});

const IDS = [1, 5, 60, 70, 80];

describe('loading from a URL', () => {
  it.each([
    ['a .gguf URL', 'llama/model-q8_0.gguf'],
    ['a Hugging Face folder URL', 'qwen2/hf'],
  ])('%s gives the same model and logits as the same files on disk', async (_, path) => {
    served.requests.length = 0;
    const [fromDisk, fromUrl] = await Promise.all([
      createEngine({ model: join(files.directory, path), backend: 'reference', contextLength: 16 }),
      createEngine({ model: `${base}/${path}`, backend: 'reference', contextLength: 16 }),
    ]);
    try {
      expect({ ...fromUrl.model, id: '' }).toEqual({ ...fromDisk.model, id: '' });
      expect(Array.from(await fromUrl.logits(IDS))).toEqual(Array.from(await fromDisk.logits(IDS)));
      expect(fromUrl.tokenize('Hello there')).toEqual(fromDisk.tokenize('Hello there'));
      // Weights came in range requests (one file is never fetched whole).
      const weights = served.requests.filter((request) => /\.(gguf|safetensors)$/.test(request.path) && request.method === 'GET');
      expect(weights.length).toBeGreaterThan(3);
      expect(weights.every((request) => request.range !== undefined)).toBe(true);
    } finally {
      await Promise.all([fromDisk.dispose(), fromUrl.dispose()]);
    }
  });

  it('names what is wrong with a URL that holds no model, or no server', async () => {
    await expect(createEngine({ model: `${base}/nowhere/`, backend: 'reference' })).rejects.toThrow(/config\.json/);
    await expect(createEngine({ model: `${base}/nowhere/model.gguf`, backend: 'reference' })).rejects.toThrow(ModelNotFoundError);
    await expect(createEngine({ model: `${base}/nowhere/model.gguf`, backend: 'reference' })).rejects.toThrow(/HTTP 404/);
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as { port: number }).port;
    await new Promise((resolve) => closed.close(resolve));
    await expect(createEngine({ model: `http://127.0.0.1:${port}/model`, backend: 'reference' })).rejects.toBeInstanceOf(ModelNotFoundError);
    await expect(createEngine({ model: `http://127.0.0.1:${port}/m.gguf`, backend: 'reference' })).rejects.toThrow(/No model at .*cannot reach the URL/);
  });
});

describe('cancelling a load', () => {
  let backend: Backend;
  afterAll(() => backend?.dispose());

  it('stops uploading at the abort, rejects with AbortError and frees every tensor it uploaded', async () => {
    backend = await createWasmBackend({ threads: 1 });
    const controller = new AbortController();
    let uploads = 0;
    const loading = loadModel(join(files.llama, 'model-q4_0.gguf'), backend, {
      signal: controller.signal,
      onProgress: ({ phase }) => {
        if (phase === 'upload' && ++uploads === 3) controller.abort();
      },
    });
    await expect(loading).rejects.toMatchObject({ name: 'AbortError' });
    expect(uploads).toBe(3);
    expect(backend.bytesInUse).toBe(0);
    // The backend is still usable: the same load without the abort succeeds.
    const loaded = await loadModel(join(files.llama, 'model-q4_0.gguf'), backend);
    expect(loaded.model.config.architecture).toBe('LlamaForCausalLM');
  });

  it('createEngine rejects with AbortError, before loading or midway through a URL', async () => {
    const before = new AbortController();
    before.abort();
    await expect(createEngine({ model: join(files.llama, 'hf'), backend: 'reference', signal: before.signal })).rejects.toMatchObject({ name: 'AbortError' });
    const midway = new AbortController();
    const progress: number[] = [];
    const loading = createEngine({
      model: `${base}/llama/model-f16.gguf`,
      backend: 'wasm',
      signal: midway.signal,
      onProgress: ({ loadedBytes }) => {
        progress.push(loadedBytes);
        midway.abort();
      },
    });
    await expect(loading).rejects.toMatchObject({ name: 'AbortError' });
    expect(progress).toHaveLength(1);
  });
});
