import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  BlobByteSource, encodeGguf, gguf, GgufFile, MemoryByteSource, openFileSource, TINY_LLAMA, TINY_QWEN2, UnsupportedArchitectureError, writeTestModel,
  type ByteSource, type GgufWriteTensor, type WritableGgmlType,
} from '@cria/runtime';
import { beforeAll, describe, expect, it } from 'vitest';
import { TrainingInputError } from '../errors.js';
import { ggufTensorName } from '../export/gguf-export.js';
import type { LoraOptions } from '../lora/lora-options.js';
import { LlamaTrainingModel } from '../model/llama-training-model.js';
import { fingerprint, recordingSource } from '../testing/model-parity.js';
import { sharedWasmBackend, temporaryDirectory } from '../testing/test-resources.js';
import { openGgufWeights, openGgufWeightsFile } from './gguf-weights.js';
import { openPretrainedWeights } from './pretrained-weights.js';
import { readAllWeights } from './read-all-weights.js';
import { unpermuteInterleavedRope } from './rope-unpermute.js';

const directory = temporaryDirectory('cria-gguf-training-');
const backend = sharedWasmBackend();
const LORA: LoraOptions = { rank: 2, alpha: 4, targets: ['q', 'k', 'v', 'down'], seed: 1 };
const LINEAR = /\.(q|k|v|o|gate|up|down)_proj\.weight$/;

describe.each([['llama', TINY_LLAMA], ['qwen2', TINY_QWEN2]] as const)('a %s GGUF as the training input', (name, testConfig) => {
  const modelDirectory = join(directory, name);
  const path = (type: string) => join(modelDirectory, `model-${type.toLowerCase()}.gguf`);
  beforeAll(async () => {
    await writeTestModel(modelDirectory, testConfig, { ggufTypes: ['F32', 'Q8_0', 'Q4_0'] });
  });

  it('F32 gives the Hugging Face config and weights', async () => {
    const hfSource = await openPretrainedWeights(join(modelDirectory, 'hf'));
    const ggufSource = await openGgufWeightsFile(path('F32'));
    expect(ggufSource.quantizedBase).toBeUndefined();
    const [hf, gguf] = [hfSource.config, ggufSource.config];
    for (const key of ['architecture', 'hiddenSize', 'numLayers', 'numHeads', 'numKvHeads', 'headDim', 'vocabSize', 'ropeStyle', 'attentionBias', 'tieWordEmbeddings'] as const) {
      expect(gguf[key], key).toEqual(hf[key]);
    }
    expect(gguf.ropeTheta).toBeCloseTo(hf.ropeTheta, 0);
    expect(gguf.rmsNormEps).toBeCloseTo(hf.rmsNormEps, 9);
    expect(await readAllWeights(ggufSource)).toEqual(await readAllWeights(hfSource));
  });

  /*
   * Before tensor-by-tensor loading, every tensor was dequantized into one f32 map (what readAllWeights
   * gives) and fromWeights built the model from it, requantizing a QLoRA base. The model `load` builds
   * from the source must be that model, bit for bit: parameters as stored, logits and loss.
   */
  const cases = [
    ...(['F32', 'Q8_0', 'Q4_0'] as const).flatMap((type) => [
      { type, mode: 'full', options: {} },
      { type, mode: 'LoRA', options: { lora: LORA } },
    ]),
    { type: 'F32', mode: 'QLoRA q8_0 (quantized at load)', options: { lora: LORA, baseDtype: 'q8_0' } },
    { type: 'Q8_0', mode: 'QLoRA q8_0 (the file’s blocks)', options: { lora: LORA, baseDtype: 'q8_0' } },
    { type: 'Q4_0', mode: 'QLoRA q4_0 (the file’s blocks)', options: { lora: LORA, baseDtype: 'q4_0' } },
    { type: 'Q4_0', mode: 'QLoRA q8_0 (requantized one tensor at a time)', options: { lora: LORA, baseDtype: 'q8_0' } },
  ] as const;
  it.each(cases)('$type, $mode: load gives the model the all-f32 map gave', async ({ type, options }) => {
    const source = await openGgufWeightsFile(path(type));
    const before = await fingerprint(LlamaTrainingModel.fromWeights(backend(), source.config, await readAllWeights(source), options));
    const after = await fingerprint(await LlamaTrainingModel.load(backend(), await openGgufWeightsFile(path(type)), options));
    expect(after.parameters).toEqual(before.parameters);
    expect(after.logits).toEqual(before.logits);
    expect(after.loss).toBe(before.loss);
  });

  it.each([['Q8_0', 'q8_0'], ['Q4_0', 'q4_0']] as const)('%s QLoRA: every linear weight arrives as the file’s blocks (q/k rows reordered); no f32 array is made for one', async (type, dtype) => {
    // Through a Blob, as a browser would hand over a picked file.
    const blob = new Blob([readFileSync(path(type))]);
    const opened = await openGgufWeights(new BlobByteSource(blob, `${name}-${type}.gguf`));
    expect(opened.quantizedBase).toBe(dtype);
    const { source, reads, closed } = recordingSource(opened, () => backend().bytesInUse);
    const model = await LlamaTrainingModel.load(backend(), source, { lora: LORA, baseDtype: source.quantizedBase });
    expect(closed()).toBe(true);

    const { config } = model;
    const linear = reads.filter((read) => LINEAR.test(read.name));
    expect(linear).toHaveLength(7 * config.numLayers);
    expect(linear.every((read) => read.dtype === dtype && read.f32Bytes === 0)).toBe(true);
    // f32 only for what trains or stays f32: the embedding, the norms, the biases and an untied head.
    const f32Elements = model.parameters.all.filter((p) => !LINEAR.test(p.name) && !p.name.includes('lora_')).reduce((sum, p) => sum + p.value.size, 0);
    expect(reads.reduce((sum, read) => sum + read.f32Bytes, 0)).toBe(4 * f32Elements);
    // One tensor at a time: each is on the backend before the next is asked for.
    for (let i = 1; i < reads.length; i++) expect(reads[i]!.backendBytesBefore, reads[i]!.name).toBeGreaterThan(reads[i - 1]!.backendBytesBefore);

    const file = await GgufFile.open(await openFileSource(path(type)));
    try {
      const stored = async (parameter: string) => new Uint8Array(((await backend().read(model.parameters.get(parameter).value)) as Uint8Array).slice());
      const fileBytes = (parameter: string) => file.readBytes(ggufTensorName(parameter));
      const q = 'model.layers.1.self_attn.q_proj.weight';
      const rows = config.numHeads * config.headDim;
      const qFile = await fileBytes(q);
      expect(await stored(q)).toEqual(name === 'llama' ? unpermuteInterleavedRope(qFile, rows, qFile.byteLength / rows, config.numHeads) : qFile);
      expect(await stored('model.layers.0.mlp.down_proj.weight')).toEqual(await fileBytes('model.layers.0.mlp.down_proj.weight'));
    } finally {
      await file.close();
      model.dispose();
    }
  });
});

/** The test Llama's GGUF with some tensors or metadata changed: hostile inputs for the source. */
async function alteredGguf(change: (metadata: Record<string, unknown>, tensors: GgufWriteTensor[]) => GgufWriteTensor[]): Promise<ByteSource> {
  const file = await GgufFile.open(await openFileSource(join(directory, 'llama', 'model-f32.gguf')));
  try {
    const metadata = Object.fromEntries(file.metadata);
    const tensors: GgufWriteTensor[] = [];
    for (const info of file.tensors.values()) tensors.push({ name: info.name, type: info.type as WritableGgmlType, shape: info.shape, data: await file.readBytes(info.name) });
    const chunks = encodeGguf(metadata as Parameters<typeof encodeGguf>[0], change(metadata, tensors));
    return new MemoryByteSource(new Uint8Array(Buffer.concat(chunks)), 'altered.gguf');
  } finally {
    await file.close();
  }
}

describe('a GGUF that is not a training input gets a typed error before anything is uploaded', () => {
  it('a missing tensor', async () => {
    const opening = openGgufWeights(await alteredGguf((_, tensors) => tensors.filter((tensor) => tensor.name !== 'blk.1.attn_v.weight')));
    await expect(opening).rejects.toThrow(TrainingInputError);
    await expect(opening).rejects.toThrow(/blk\.1\.attn_v\.weight \(model\.layers\.1\.self_attn\.v_proj\.weight\): expected a tensor of shape \[32, 64\], got nothing/);
  });

  it('a tensor of the wrong shape', async () => {
    const source = await alteredGguf((_, tensors) => {
      const q = tensors.find((tensor) => tensor.name === 'blk.0.attn_q.weight')!;
      return tensors.map((tensor) => (tensor.name === 'blk.0.attn_v.weight' ? { ...q, name: tensor.name } : tensor));
    });
    await expect(openGgufWeights(source)).rejects.toThrow(/blk\.0\.attn_v\.weight: expected shape \[32, 64\], got \[64, 64\]/);
  });

  it('not a Llama-family model', async () => {
    const source = await alteredGguf((metadata, tensors) => {
      metadata['general.architecture'] = gguf.string('gpt2');
      return tensors;
    });
    await expect(openGgufWeights(source)).rejects.toThrow(UnsupportedArchitectureError);
  });

  it('a read that fails halfway through the load frees what was uploaded and closes the source', async () => {
    const bytes = readFileSync(join(directory, 'llama', 'model-q4_0.gguf'));
    let reads = 0;
    let closed = false;
    const failing: ByteSource = {
      name: 'flaky.gguf',
      size: bytes.byteLength,
      async read(offset, length) {
        if (++reads === 12) throw new Error('connection reset');
        return new Uint8Array(bytes.subarray(offset, offset + length));
      },
      async close() {
        closed = true;
      },
    };
    const source = await openGgufWeights(failing);
    const before = backend().bytesInUse;
    await expect(LlamaTrainingModel.load(backend(), source, { lora: LORA, baseDtype: 'q4_0' })).rejects.toThrow('connection reset');
    expect(backend().bytesInUse).toBe(before);
    expect(closed).toBe(true);
  });
});
