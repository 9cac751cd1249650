import fc from 'fast-check';
import * as transformers from '@huggingface/transformers';
import { describe, expect, test } from 'vitest';
import { loadTokenizer, trainByteLevelBpe, TrainingOptionsError } from '../index.js';
import { generateCorpus, RUST_UNICODE_DIVERGENT } from '../testing/corpus.js';
import { loadRustTokenizer, trainWithRust } from '../testing/rust-oracle.js';

/**
 * The byte-level BPE trainer: a vocabulary of exactly the asked size, saved as a tokenizer.json
 * that this package, transformers.js and Hugging Face's Rust tokenizers load and encode
 * identically, with the very merges Hugging Face's own trainer learns from the same text.
 */
const TRAINING = generateCorpus({ bytes: 400_000, seed: 11 });
const HELD_OUT = generateCorpus({ bytes: 150_000, seed: 12 });
const SPECIALS = ['<|endoftext|>', '<|im_start|>', '<|im_end|>'];

describe('trained on a generated corpus', () => {
  const trained = trainByteLevelBpe(TRAINING, { vocabSize: 3000, specialTokens: SPECIALS, bosToken: '<|endoftext|>', eosToken: '<|im_end|>' });
  // Saved and read back as files would be.
  const tokenizerJson = JSON.parse(JSON.stringify(trained.tokenizerJson));
  const tokenizerConfig = JSON.parse(JSON.stringify(trained.tokenizerConfig));
  const tokenizer = loadTokenizer(tokenizerJson, tokenizerConfig);

  test('has exactly the asked vocabulary size, special tokens first', () => {
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

  test("Hugging Face tokenizers (Rust) loads it and encodes held-out text to the same ids", async () => {
    const rust = loadRustTokenizer(tokenizerJson);
    const mismatches: string[] = [];
    for (const chunk of HELD_OUT.map((text) => text.toWellFormed().replace(RUST_UNICODE_DIVERGENT, ' '))) {
      const ours = tokenizer.encode(chunk, { allowedSpecial: 'all', addSpecialTokens: false });
      if (JSON.stringify(ours) !== JSON.stringify(await rust.encode(chunk))) mismatches.push(JSON.stringify(chunk));
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

describe.each([
  { pattern: 'llama3', nfc: false },
  { pattern: 'qwen2', nfc: true },
  { pattern: 'gpt2', nfc: false },
] as const)("the same merges as Hugging Face's BpeTrainer (Rust), $pattern pattern", ({ pattern, nfc }) => {
  test('on 250 kB, to the trainer default of 30 000 tokens', () => {
    // Sequences as Rust's train(files) reads them: one per line. Unicode-version differences left out.
    const lines = generateCorpus({ bytes: 250_000, seed: 21 }).join('').replace(RUST_UNICODE_DIVERGENT, ' ').toWellFormed().split(/(?<=\n)/);
    const settings = trainByteLevelBpe(['x'], { vocabSize: 300, pattern, nfc }).tokenizerJson;
    const reference = trainWithRust(lines, settings).model;
    const referenceMerges = reference.merges.map((merge) => (Array.isArray(merge) ? merge.join(' ') : merge));
    // Rust's alphabet is the characters seen, Cria's all 256 bytes (so any byte encodes): same order, more ids.
    const seenAlphabet = Object.keys(reference.vocab).length - referenceMerges.length;
    const ours = trainByteLevelBpe(lines, { vocabSize: 30_000 - seenAlphabet + 256, minFrequency: 0, pattern, nfc });
    const merges = (ours.tokenizerJson['model'] as { merges: string[] }).merges;
    expect(referenceMerges.length).toBeGreaterThan(20_000);
    expect(merges.length).toBe(referenceMerges.length);
    const firstDifference = merges.findIndex((merge, rank) => merge !== referenceMerges[rank]);
    expect(firstDifference).toBe(-1);
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
