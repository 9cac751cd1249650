import { describe, expect, test } from 'vitest';
import { TokenizerFormatError, UnsupportedComponentError, tokenizerFromGguf } from '../index.js';
import { generateCorpus } from '../testing/corpus.js';
import { testTokenizer } from '../testing/load.js';
import { vocabularyFiles, type VocabularyName } from '../testing/vocabularies.js';

const SAMPLE = generateCorpus({ bytes: 60_000, seed: 3 });

/** The GGUF metadata llama.cpp's converter would write for a test vocabulary. */
function ggufOf(name: VocabularyName, model: 'gpt2' | 'llama', extra: Record<string, unknown>): Record<string, unknown> {
  const json = vocabularyFiles(name).tokenizerJson as { model: { vocab: Record<string, number>; merges: Array<string | string[]> }; added_tokens: Array<{ id: number; content: string; special: boolean }> };
  const tokens: string[] = [];
  const types: number[] = [];
  for (const [token, id] of Object.entries(json.model.vocab)) {
    tokens[id] = token;
    types[id] = /^<0x[0-9A-F]{2}>$/.test(token) ? 6 : 1;
  }
  for (const added of json.added_tokens) {
    tokens[added.id] = added.content;
    types[added.id] = added.content === '<unk>' ? 2 : added.special ? 3 : 4;
  }
  return {
    'tokenizer.ggml.model': model,
    'tokenizer.ggml.tokens': tokens,
    'tokenizer.ggml.token_type': types,
    'tokenizer.ggml.merges': json.model.merges.map((merge) => (Array.isArray(merge) ? merge.join(' ') : merge)),
    ...extra,
  };
}

describe('GGUF metadata gives the same tokenizer as tokenizer.json', () => {
  test('gpt2 model with llama-bpe pre-tokenizer (Llama 3)', () => {
    const gguf = tokenizerFromGguf(ggufOf('llama3', 'gpt2', { 'tokenizer.ggml.pre': 'llama-bpe', 'tokenizer.ggml.bos_token_id': 128000, 'tokenizer.ggml.add_bos_token': false }));
    const reference = testTokenizer('llama3');
    for (const text of SAMPLE) expect(gguf.encode(text)).toEqual(reference.encode(text));
    expect(gguf.bosTokenId).toBe(128000);
  });

  test('gpt2 model with qwen2 pre-tokenizer (Qwen 3)', () => {
    const gguf = tokenizerFromGguf(ggufOf('qwen3', 'gpt2', { 'tokenizer.ggml.pre': 'qwen2', 'tokenizer.ggml.add_bos_token': false }));
    const reference = testTokenizer('qwen3');
    for (const text of SAMPLE) expect(gguf.encode(text.normalize('NFC'))).toEqual(reference.encode(text));
  });

  test('llama model (SentencePiece) with merges derived from scores', () => {
    const metadata = ggufOf('llama2', 'llama', { 'tokenizer.ggml.bos_token_id': 1, 'tokenizer.ggml.eos_token_id': 2, 'tokenizer.ggml.unknown_token_id': 0 });
    // SentencePiece BPE scores a piece by when it is merged: score = -(rank of the merge that makes it).
    const rankOf = new Map<string, number>();
    (metadata['tokenizer.ggml.merges'] as string[]).forEach((merge, rank) => {
      const piece = merge.replace(' ', '');
      if (!rankOf.has(piece)) rankOf.set(piece, rank);
    });
    metadata['tokenizer.ggml.scores'] = (metadata['tokenizer.ggml.tokens'] as string[]).map((token) => -(rankOf.get(token) ?? 1e9));
    delete metadata['tokenizer.ggml.merges'];
    const gguf = tokenizerFromGguf(metadata);
    const reference = testTokenizer('llama2');
    for (const text of SAMPLE) {
      expect(gguf.encode(text)).toEqual(reference.encode(text));
      expect(gguf.decode(reference.encode(text))).toBe(reference.decode(reference.encode(text)));
    }
  });
});

test('unknown models and pre-tokenizers name themselves', () => {
  expect(() => tokenizerFromGguf({ 'tokenizer.ggml.model': 'bert', 'tokenizer.ggml.tokens': ['a'] })).toThrow(UnsupportedComponentError);
  expect(() => tokenizerFromGguf({ 'tokenizer.ggml.model': 'gpt2', 'tokenizer.ggml.tokens': ['a'], 'tokenizer.ggml.merges': [], 'tokenizer.ggml.pre': 'mystery' })).toThrow(/mystery/);
  expect(() => tokenizerFromGguf({ 'tokenizer.ggml.model': 'gpt2' })).toThrow(TokenizerFormatError);
});
