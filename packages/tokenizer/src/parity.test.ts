import { describe, expect, test } from 'vitest';
import { loadTokenizer } from './index.js';
import { generateCorpus } from './testing/corpus.js';
import { loadOracle } from './testing/oracle.js';
import { VOCABULARIES, vocabularyFiles } from './testing/vocabularies.js';

/**
 * Parity with transformers.js on the real Llama 3, Qwen 3 and Llama 2 vocabularies over a
 * generated ≥ 1 MB corpus: identical ids and identical decoded strings, chunk by chunk.
 * (The few characters where transformers.js differs from Hugging Face's Rust tokenizers are
 * left out of the corpus and pinned down in divergences.test.ts.)
 */
const CORPUS = generateCorpus({ bytes: 1_100_000 });

describe.each(VOCABULARIES)('%s', (name) => {
  const { tokenizerJson, tokenizerConfig } = vocabularyFiles(name);
  const tokenizer = loadTokenizer(tokenizerJson, tokenizerConfig);
  const oracle = loadOracle(name);

  test('the corpus is at least 1 MB', () => {
    expect(new TextEncoder().encode(CORPUS.join('')).length).toBeGreaterThanOrEqual(1_000_000);
  });

  test('encode gives the same ids as transformers.js on every chunk', () => {
    const mismatches: string[] = [];
    for (const chunk of CORPUS) {
      const ours = tokenizer.encode(chunk, { allowedSpecial: 'all' });
      const expected = oracle.encode(chunk);
      if (!sameIds(ours, expected)) mismatches.push(JSON.stringify(chunk));
    }
    expect(mismatches.slice(0, 5)).toEqual([]);
  });

  test('decode gives the same text as transformers.js, with and without special tokens', () => {
    const mismatches: string[] = [];
    for (const chunk of CORPUS.slice(0, 400)) {
      const ids = oracle.encode(chunk);
      for (const skip of [false, true]) {
        const ours = tokenizer.decode(ids, { skipSpecialTokens: skip });
        const expected = oracle.decode(ids, { skip_special_tokens: skip });
        if (ours !== expected) mismatches.push(JSON.stringify(chunk));
      }
    }
    expect(mismatches.slice(0, 5)).toEqual([]);
  });

  test('with add_special_tokens, the post-processor adds what transformers.js adds', () => {
    for (const chunk of CORPUS.slice(0, 50)) {
      expect(tokenizer.encode(chunk, { allowedSpecial: 'all', addSpecialTokens: true })).toEqual(oracle.encode(chunk, { add_special_tokens: true }));
    }
  });
});

function sameIds(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
