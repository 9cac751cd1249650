import { describe, expect, it } from 'vitest';
import { UnsupportedArchitectureError } from '../engine/engine-errors.js';
import { configFromGguf, configFromHf, ModelConfigError } from './model-config.js';
import { defaultInverseFrequencies, inverseFrequenciesFromFactors, llama3InverseFrequencies } from './rope-scaling.js';

const LLAMA_3_2 = {
  architectures: ['LlamaForCausalLM'],
  hidden_size: 2048,
  intermediate_size: 8192,
  num_hidden_layers: 16,
  num_attention_heads: 32,
  num_key_value_heads: 8,
  head_dim: 64,
  vocab_size: 128256,
  rms_norm_eps: 1e-5,
  rope_theta: 500000,
  rope_scaling: { factor: 32, high_freq_factor: 4, low_freq_factor: 1, original_max_position_embeddings: 8192, rope_type: 'llama3' },
  max_position_embeddings: 131072,
  tie_word_embeddings: true,
  eos_token_id: [128001, 128008, 128009],
};

describe('configFromHf', () => {
  it('reads a Llama 3.2 config with llama3 rope scaling', () => {
    const config = configFromHf(LLAMA_3_2, { eos_token_id: 128009 });
    expect(config).toMatchObject({ numKvHeads: 8, headDim: 64, ropeStyle: 'half', tieWordEmbeddings: true, attentionBias: false, eosTokenIds: [128001, 128008, 128009] });
    const frequencies = config.inverseFrequencies!;
    const base = defaultInverseFrequencies(64, 500000);
    // High frequencies (wavelength < 8192/4) are kept, low ones (wavelength > 8192) divided by 32.
    expect(frequencies[0]).toBeCloseTo(base[0]!, 6);
    expect(frequencies[31]! / base[31]!).toBeCloseTo(1 / 32, 6);
    // In between, a blend: strictly between the two.
    const middle = frequencies.findIndex((value, i) => value < base[i]! * 0.99 && value > base[i]! / 32 * 1.01);
    expect(middle).toBeGreaterThan(0);
  });

  it('reads Mistral and Qwen2 (q/k/v bias)', () => {
    const mistral = configFromHf({ ...LLAMA_3_2, architectures: ['MistralForCausalLM'], rope_scaling: null, head_dim: undefined });
    expect(mistral.headDim).toBe(64);
    expect(mistral.inverseFrequencies).toBeUndefined();
    expect(configFromHf({ ...LLAMA_3_2, architectures: ['Qwen2ForCausalLM'], rope_scaling: null }).attentionBias).toBe(true);
  });

  it('reads a sliding attention window only where the architecture turns it on', () => {
    const base = { ...LLAMA_3_2, rope_scaling: null, sliding_window: 4096 };
    expect(configFromHf({ ...base, architectures: ['MistralForCausalLM'] }).slidingWindow).toBe(4096);
    expect(configFromHf({ ...base, architectures: ['MistralForCausalLM'], sliding_window: null }).slidingWindow).toBeUndefined();
    expect(configFromHf({ ...base, architectures: ['Qwen2ForCausalLM'], use_sliding_window: false }).slidingWindow).toBeUndefined();
    expect(configFromHf({ ...base, architectures: ['Qwen2ForCausalLM'], use_sliding_window: true }).slidingWindow).toBe(4096);
    expect(configFromHf(base).slidingWindow).toBeUndefined(); // Llama has none
    expect(() => configFromHf({ ...base, architectures: ['MistralForCausalLM'], sliding_window: -1 })).toThrow(/sliding_window/);
  });

  it('rejects unknown architectures and broken fields', () => {
    expect(() => configFromHf({ ...LLAMA_3_2, architectures: ['GPT2LMHeadModel'] })).toThrow(UnsupportedArchitectureError);
    expect(() => configFromHf({ ...LLAMA_3_2, hidden_size: '2048' })).toThrow(ModelConfigError);
    expect(() => configFromHf({ ...LLAMA_3_2, rope_scaling: { rope_type: 'yarn', factor: 4 } })).toThrow(/rope_scaling/);
  });

  it('rejects counts that cannot be a real model before a tensor is read, naming the key', () => {
    // A corrupt layer count would otherwise size the loader's layer list (2^31 entries: out of memory).
    expect(() => configFromHf({ ...LLAMA_3_2, num_hidden_layers: 2 ** 31 })).toThrow(/'num_hidden_layers' should be a positive integer up to 4096/);
    expect(() => configFromHf({ ...LLAMA_3_2, num_attention_heads: 1e6 })).toThrow(/num_attention_heads/);
    expect(() => configFromHf({ ...LLAMA_3_2, hidden_size: 2 ** 53 })).toThrow(/hidden_size/);
    expect(() => configFromHf({ ...LLAMA_3_2, num_key_value_heads: 6 })).toThrow(/'num_key_value_heads' should be a divisor of num_attention_heads \(32\), got 6/);
    expect(() => configFromHf({ ...LLAMA_3_2, head_dim: 127 })).toThrow(/'head_dim' should be an even number/);
    // Llama 3's rope scaling builds head_dim / 2 frequencies from the config: 2^31 ran the heap out.
    expect(() => configFromHf({ ...LLAMA_3_2, head_dim: 2 ** 31 })).toThrow(/'head_dim' should be a positive integer up to 4096, got 2147483648/);
    expect(() => configFromHf({ ...LLAMA_3_2, rms_norm_eps: Infinity })).toThrow(/rms_norm_eps/);
  });
});

describe('configFromGguf', () => {
  it('uses interleaved RoPE for llama and half for qwen2', () => {
    const metadata = (arch: string) => ({
      'general.architecture': arch,
      [`${arch}.embedding_length`]: 64,
      [`${arch}.feed_forward_length`]: 128,
      [`${arch}.block_count`]: 2,
      [`${arch}.attention.head_count`]: 4,
      [`${arch}.attention.head_count_kv`]: 2,
      [`${arch}.context_length`]: 256,
      'tokenizer.ggml.tokens': new Array(300).fill('a'),
      'tokenizer.ggml.eos_token_id': 2,
    });
    expect(configFromGguf(metadata('llama'), 'x.gguf')).toMatchObject({ ropeStyle: 'interleaved', vocabSize: 300, headDim: 16, eosTokenIds: [2] });
    expect(configFromGguf(metadata('qwen2'), 'x.gguf')).toMatchObject({ ropeStyle: 'half', attentionBias: true });
    expect(() => configFromGguf(metadata('gemma'), 'x.gguf')).toThrow(UnsupportedArchitectureError);
  });

  it("turns llama.cpp's rope_freqs factors into inverse frequencies", () => {
    const factors = Float32Array.from({ length: 8 }, (_, i) => (i < 4 ? 1 : 8));
    const frequencies = inverseFrequenciesFromFactors(16, 10000, factors);
    const base = defaultInverseFrequencies(16, 10000);
    expect(frequencies[0]).toBeCloseTo(base[0]!, 6);
    expect(frequencies[7]).toBeCloseTo(base[7]! / 8, 9);
    expect(llama3InverseFrequencies(16, 10000, { factor: 1, lowFrequencyFactor: 1, highFrequencyFactor: 4, originalMaxPositionEmbeddings: 8192 })[7]).toBeCloseTo(base[7]!, 9);
  });
});
