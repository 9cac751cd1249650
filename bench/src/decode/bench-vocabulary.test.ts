import { tokenizerFromGguf } from '@cria/tokenizer';
import { describe, expect, it } from 'vitest';
import { benchVocabulary } from './bench-vocabulary.js';

describe('bench vocabulary', () => {
  it('grows to the vocab size with ordinary tokens, one merge each, and three control tokens', () => {
    const vocabulary = benchVocabulary(49152);
    expect(vocabulary.tokens).toHaveLength(49152);
    expect(new Set(vocabulary.tokens).size).toBe(49152);
    expect(vocabulary.types.filter((type) => type === 3)).toHaveLength(3);
    const ids = new Map(vocabulary.tokens.map((token, id) => [token, id]));
    for (const merge of vocabulary.merges) {
      const [left, right] = merge.split(' ') as [string, string];
      expect(ids.has(left) && ids.has(right) && ids.has(left + right), merge).toBe(true);
    }
    expect(vocabulary.tokens[vocabulary.eosId]).toBe('<|im_end|>');
  });

  it('loads as a GGUF tokenizer that round-trips text through the added merges', () => {
    const vocabulary = benchVocabulary(32000);
    const tokenizer = tokenizerFromGguf({
      'tokenizer.ggml.model': 'gpt2',
      'tokenizer.ggml.pre': 'gpt-2',
      'tokenizer.ggml.tokens': [...vocabulary.tokens],
      'tokenizer.ggml.token_type': [...vocabulary.types],
      'tokenizer.ggml.merges': [...vocabulary.merges],
      'tokenizer.ggml.bos_token_id': vocabulary.bosId,
      'tokenizer.ggml.eos_token_id': vocabulary.eosId,
    });
    const text = 'Zebras quietly jump over 42 fences.<|im_end|>';
    const ids = tokenizer.encode(text, { allowedSpecial: 'all' });
    expect(ids.length).toBeLessThan(text.length / 1.5);
    expect(ids.at(-1)).toBe(vocabulary.eosId);
    expect(tokenizer.decode(ids)).toBe(text);
  });
});
