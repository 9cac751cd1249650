import { createReferenceBackend } from '@cria/kernels';
import { loadTokenizer, tokenizerFromGguf } from '@cria/tokenizer';
import { describe, expect, it } from 'vitest';
import { GgufFile } from '../gguf/gguf-file.js';
import { SafetensorsFile } from '../safetensors/safetensors-file.js';
import { MemoryByteSource } from '../sources/byte-source.js';
import { permuteForInterleavedRope } from './rope-permute.js';
import { SeededRandom } from './seeded-random.js';
import { ggufTensorName, testModelInMemory, testModelWeights } from './test-model.js';
import { TINY_LLAMA, TINY_QWEN2, type TestModelConfig } from './test-model-config.js';

const decoder = new TextDecoder();

async function load(config: TestModelConfig, options: Parameters<typeof testModelInMemory>[1] = {}) {
  const files = testModelInMemory(config, options);
  const safetensors = await SafetensorsFile.open(new MemoryByteSource(files.hf['model.safetensors']!, 'model.safetensors'));
  const gguf = await GgufFile.open(new MemoryByteSource(files.gguf, 'model.gguf'));
  return { files, safetensors, gguf, hfConfig: JSON.parse(decoder.decode(files.hf['config.json'])) };
}

describe('test-model generator', () => {
  it('is deterministic: same seed, same bytes; another seed, other weights', () => {
    const first = testModelInMemory(TINY_LLAMA, { ggufType: 'Q4_0', hfDtype: 'BF16' });
    const second = testModelInMemory(TINY_LLAMA, { ggufType: 'Q4_0', hfDtype: 'BF16' });
    expect(second.gguf).toEqual(first.gguf);
    expect(second.hf).toEqual(first.hf);
    const reseeded = testModelInMemory({ ...TINY_LLAMA, seed: 99 });
    expect(reseeded.hf['model.safetensors']).not.toEqual(testModelInMemory(TINY_LLAMA).hf['model.safetensors']);
  });

  it('writes a Llama checkpoint with HF names, shapes and config', async () => {
    const { safetensors, hfConfig } = await load(TINY_LLAMA);
    expect(hfConfig).toMatchObject({ architectures: ['LlamaForCausalLM'], hidden_size: 64, num_key_value_heads: 2, vocab_size: 320, tie_word_embeddings: false, torch_dtype: 'float32' });
    const shapes = Object.fromEntries([...safetensors.tensors.values()].map((info) => [info.name, info.shape]));
    expect(shapes).toMatchObject({
      'model.embed_tokens.weight': [320, 64],
      'model.layers.1.self_attn.q_proj.weight': [64, 64],
      'model.layers.1.self_attn.k_proj.weight': [32, 64],
      'model.layers.1.self_attn.v_proj.weight': [32, 64],
      'model.layers.1.self_attn.o_proj.weight': [64, 64],
      'model.layers.0.mlp.gate_proj.weight': [128, 64],
      'model.layers.0.mlp.down_proj.weight': [64, 128],
      'model.layers.0.input_layernorm.weight': [64],
      'model.norm.weight': [64],
      'lm_head.weight': [320, 64],
    });
    expect(safetensors.tensors.size).toBe(1 + 2 * 9 + 2);
  });

  it('writes the GGUF form with llama.cpp names, metadata and types', async () => {
    const { gguf } = await load(TINY_LLAMA, { ggufType: 'Q8_0' });
    expect(gguf.get('general.architecture', 'string')).toBe('llama');
    for (const [key, value] of Object.entries({ embedding_length: 64, block_count: 2, feed_forward_length: 128, 'attention.head_count': 4, 'attention.head_count_kv': 2, 'rope.dimension_count': 16, context_length: 256 })) {
      expect(gguf.get(`llama.${key}`, 'number')).toBe(value);
    }
    expect(gguf.get('llama.rope.freq_base', 'number')).toBe(10000);
    expect(gguf.get('llama.attention.layer_norm_rms_epsilon', 'number')).toBeCloseTo(1e-5, 10);
    expect(gguf.info('blk.1.attn_k.weight')).toMatchObject({ type: 'Q8_0', dims: [64, 32], shape: [32, 64] });
    expect(gguf.info('blk.0.attn_norm.weight').type).toBe('F32');
    expect(gguf.info('output.weight').shape).toEqual([320, 64]);
    expect([...gguf.tensors.keys()].sort()).toEqual(testModelWeights(TINY_LLAMA).map(({ name }) => ggufTensorName(name)).sort());
  });

  it('ties Qwen2 embeddings and adds q/k/v biases', async () => {
    const { safetensors, gguf, hfConfig } = await load(TINY_QWEN2, { ggufType: 'F16' });
    expect(hfConfig).toMatchObject({ architectures: ['Qwen2ForCausalLM'], tie_word_embeddings: true, rope_theta: 1_000_000 });
    expect(safetensors.tensors.has('lm_head.weight')).toBe(false);
    expect(safetensors.info('model.layers.0.self_attn.k_proj.bias').shape).toEqual([32]);
    expect(gguf.tensors.has('output.weight')).toBe(false);
    expect(gguf.info('blk.0.attn_q.bias')).toMatchObject({ type: 'F32', shape: [64] });
    expect(gguf.get('qwen2.attention.head_count_kv', 'number')).toBe(2);
  });

  it('stores the same weights in both forms: Llama q/k permuted, everything else (and all of Qwen2) as is', async () => {
    for (const config of [TINY_LLAMA, TINY_QWEN2]) {
      const { safetensors, gguf } = await load(config);
      for (const [name, info] of safetensors.tensors) {
        const hf = (await safetensors.read(name)).data as Float32Array;
        const stored = (await gguf.read(ggufTensorName(name))).data as Float32Array;
        const permuted = config.architecture === 'llama' && /[qk]_proj\.weight$/.test(name);
        const heads = name.includes('q_proj') ? config.numHeads : config.numKvHeads;
        expect(stored).toEqual(permuted ? permuteForInterleavedRope(hf, info.shape[0]!, info.shape[1]!, heads) : hf);
      }
    }
  });

  it('the permutation makes interleaved RoPE compute the attention scores of half-split RoPE', async () => {
    const backend = createReferenceBackend();
    const random = new SeededRandom(5);
    const [tokens, heads, dim, columns] = [3, 2, 16, 8];
    const weight = random.normals(heads * dim * columns);
    const inputs = random.normals(tokens * columns);
    const project = (matrix: Float32Array) =>
      Float32Array.from({ length: tokens * heads * dim }, (_, i) => {
        const [token, row] = [Math.floor(i / (heads * dim)), i % (heads * dim)];
        let sum = 0;
        for (let c = 0; c < columns; c++) sum += matrix[row * columns + c]! * inputs[token * columns + c]!;
        return sum;
      });
    const rope = async (values: Float32Array, style: 'half' | 'interleaved') => {
      const x = backend.tensor('f32', [1, tokens, heads, dim], values);
      const out = backend.tensor('f32', [1, tokens, heads, dim]);
      backend.rope({ out, x, positions: backend.tensor('i32', [1, tokens], Int32Array.from([0, 5, 17])), theta: 10000, style });
      return (await backend.read(out)) as Float32Array;
    };
    const half = await rope(project(weight), 'half');
    const interleaved = await rope(project(permuteForInterleavedRope(weight, heads * dim, columns, heads)), 'interleaved');
    const score = (q: Float32Array, a: number, b: number, head: number) => {
      let sum = 0;
      for (let d = 0; d < dim; d++) sum += q[(a * heads + head) * dim + d]! * q[(b * heads + head) * dim + d]!;
      return sum;
    };
    for (let head = 0; head < heads; head++) {
      for (let a = 0; a < tokens; a++) for (let b = 0; b <= a; b++) expect(score(interleaved, a, b, head)).toBeCloseTo(score(half, a, b, head), 4);
    }
    expect(interleaved).not.toEqual(half);
  });

  it('gives peaked next-token distributions (logit std 4)', () => {
    const weights = testModelWeights(TINY_LLAMA);
    const head = weights.find((tensor) => tensor.name === 'lm_head.weight')!.values;
    const random = new SeededRandom(3);
    let topProbability = 0;
    const samples = 50;
    for (let sample = 0; sample < samples; sample++) {
      const hidden = random.normals(64); // after the final RMSNorm the hidden state has unit RMS
      const logits = Array.from({ length: 320 }, (_, row) => hidden.reduce((sum, value, c) => sum + value * head[row * 64 + c]!, 0));
      const max = Math.max(...logits);
      const total = logits.reduce((sum, logit) => sum + Math.exp(logit - max), 0);
      topProbability += 1 / total / samples;
    }
    expect(topProbability).toBeGreaterThan(0.3);
  });

  it('ships one tokenizer in both forms: tokenizer.json and the GGUF keys encode alike', async () => {
    const { files, gguf } = await load(TINY_QWEN2);
    const fromJson = loadTokenizer(decoder.decode(files.hf['tokenizer.json']), decoder.decode(files.hf['tokenizer_config.json']));
    const fromGguf = tokenizerFromGguf(gguf.metadataRecord());
    const text = 'the cat is in the hat, and that was it! 123 ünïcode\n';
    const ids = fromJson.encode(text);
    expect(fromGguf.encode(text)).toEqual(ids);
    expect(ids.length).toBeLessThan(new TextEncoder().encode(text).length); // merges apply
    expect(fromJson.decode(ids)).toBe(text);
    const chat = fromJson.applyChatTemplate([{ role: 'user', content: 'hi' }], { addGenerationPrompt: true });
    expect(chat).toBe('<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n');
    expect(fromGguf.encode('<|im_end|>', { allowedSpecial: 'all' })).toEqual([gguf.get('tokenizer.ggml.eos_token_id', 'number')]);
  });
});
