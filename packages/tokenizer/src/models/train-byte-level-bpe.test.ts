import fc from 'fast-check';
import * as transformers from '@huggingface/transformers';
import { describe, expect, test } from 'vitest';
import { loadTokenizer, trainByteLevelBpe, TrainingOptionsError } from '../index.js';
import { generateCorpus } from '../testing/corpus.js';

/**
 * The byte-level BPE trainer: a vocabulary of exactly the asked size, saved as a tokenizer.json
 * that this package and transformers.js (the oracle) load and encode identically.
 */
const TRAINING = generateCorpus({ bytes: 400_000, seed: 11 });
const HELD_OUT = generateCorpus({ bytes: 150_000, seed: 12 });
const SPECIALS = ['<|endoftext|>', '<|im_start|>', '<|im_end|>'];

describe('trained on a generated corpus', () => {
  const started = performance.now();
  const trained = trainByteLevelBpe(TRAINING, { vocabSize: 3000, specialTokens: SPECIALS, bosToken: '<|endoftext|>', eosToken: '<|im_end|>' });
  const trainingMs = performance.now() - started;
  // Saved and read back as files would be.
  const tokenizerJson = JSON.parse(JSON.stringify(trained.tokenizerJson));
  const tokenizerConfig = JSON.parse(JSON.stringify(trained.tokenizerConfig));
  const tokenizer = loadTokenizer(tokenizerJson, tokenizerConfig);

  test('has exactly the asked vocabulary size, special tokens first', () => {
    console.log(`trained 3000 tokens on ${TRAINING.join('').length} characters in ${Math.round(trainingMs)} ms`);
    expect(trained.vocabSize).toBe(3000);
    expect(tokenizer.vocabSize).toBe(3000);
    expect(Object.keys(tokenizerJson.model.vocab)).toHaveLength(3000);
    expect(tokenizerJson.model.merges).toHaveLength(3000 - SPECIALS.length - 256);
    SPECIALS.forEach((special, id) => expect(tokenizer.tokenToId(special)).toBe(id));
    expect(tokenizer.bosTokenId).toBe(0);
    expect(tokenizer.eosTokenId).toBe(2);
  });

  test('transformers.js loads it and encodes held-out text to the same ids', () => {
    const oracle = new transformers.PreTrainedTokenizer(tokenizerJson, tokenizerConfig);
    const mismatches: string[] = [];
    for (const chunk of HELD_OUT) {
      const expected = oracle.encode(chunk, { add_special_tokens: false });
      const ours = tokenizer.encode(chunk, { allowedSpecial: 'all', addSpecialTokens: false });
      if (JSON.stringify(ours) !== JSON.stringify(expected)) mismatches.push(JSON.stringify(chunk));
      if (oracle.decode(expected) !== tokenizer.decode(ours)) mismatches.push(`decode: ${JSON.stringify(chunk)}`);
    }
    expect(mismatches.slice(0, 5)).toEqual([]);
  });

  test('round-trips held-out text and arbitrary strings, and compresses', () => {
    let bytes = 0;
    let tokens = 0;
    for (const chunk of HELD_OUT) {
      const ids = tokenizer.encode(chunk);
      expect(tokenizer.decode(ids)).toBe(chunk.toWellFormed());
      bytes += new TextEncoder().encode(chunk).length;
      tokens += ids.length;
    }
    expect(bytes / tokens).toBeGreaterThan(2); // 256 byte tokens alone would give 1
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 50 }), (text) => {
          expect(tokenizer.decode(tokenizer.encode(text))).toBe(text.toWellFormed());
        }),
      { numRuns: 300 },
    );
  });

  test('special tokens are never learned from text and encode to their ids when allowed', () => {
    expect(tokenizer.encode('a<|im_end|>b', { allowedSpecial: 'all' })).toContain(2);
    expect(tokenizer.encode('a<|im_end|>b')).not.toContain(2);
    expect(Object.keys(tokenizerJson.model.vocab).filter((token) => token.includes('im_end'))).toEqual(['<|im_end|>']);
  });

  test('is deterministic: the same input gives the same file', () => {
    const again = trainByteLevelBpe(TRAINING, { vocabSize: 3000, specialTokens: SPECIALS, bosToken: '<|endoftext|>', eosToken: '<|im_end|>' });
    expect(JSON.stringify(again.tokenizerJson)).toBe(JSON.stringify(trained.tokenizerJson));
  });
});

describe('merge order', () => {
  const mergesOf = (texts: string[], minFrequency = 1) => (trainByteLevelBpe(texts, { vocabSize: 10_000, minFrequency }).tokenizerJson['model'] as { merges: string[] }).merges;

  test('the most frequent pair first; after a merge, counts follow the new symbols', () => {
    // "abab" and " abab": (a, b) ×4, then (ab, ab) ×2, then (Ġ, abab) ×1.
    expect(mergesOf(['abab abab'])).toEqual(['a b', 'ab ab', 'Ġ abab']);
    expect(mergesOf(['abab abab'], 2)).toEqual(['a b', 'ab ab']);
  });

  test('ties go to the pair of smallest ids (byte characters in code point order), as in the Rust trainer', () => {
    expect(mergesOf(['ab cd'])).toEqual(['a b', 'c d', 'Ġ cd']);
    expect(mergesOf(['cd ab'])).toEqual(['a b', 'c d', 'Ġ ab']);
  });

  test('a run of one symbol merges left to right without overlap', () => {
    // "aaa" ×2: (a, a) merges once per word ("aa a"), then (aa, a).
    expect(mergesOf(['aaa', 'aaa'])).toEqual(['a a', 'aa a']);
  });

  test('the llama3 pattern keeps numbers to 3 digits, qwen2 to 1, gpt2 uses its own regex', () => {
    const tokensOf = (pattern: 'llama3' | 'qwen2' | 'gpt2') => {
      const json = trainByteLevelBpe(['12345 12345 12345'], { vocabSize: 400, minFrequency: 1, pattern }).tokenizerJson as { model: { vocab: Record<string, number> } };
      return Object.keys(json.model.vocab).filter((token) => /^\d{2,}$/.test(token));
    };
    expect(tokensOf('llama3')).toEqual(expect.arrayContaining(['123', '45']));
    expect(tokensOf('qwen2')).toEqual([]);
    expect(tokensOf('gpt2')).toContain('12345'); // GPT-2 keeps a run of digits whole
  });
});

test('bad options are typed errors that say what to pass', () => {
  expect(() => trainByteLevelBpe(['x'], { vocabSize: 100 })).toThrow(TrainingOptionsError);
  expect(() => trainByteLevelBpe(['x'], { vocabSize: 100 })).toThrow(/at least 256/);
  expect(() => trainByteLevelBpe(['x'], { vocabSize: 300, specialTokens: ['<a>'], bosToken: '<b>' })).toThrow(/not one of specialTokens/);
});
