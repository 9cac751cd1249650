import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { loadTokenizer } from './index.js';
import { generateCorpus } from './testing/corpus.js';
import { testTokenizer } from './testing/load.js';
import { loadRustTokenizer } from './testing/rust-oracle.js';
import { vocabularyFiles } from './testing/vocabularies.js';
import type { Tokenizer } from './tokenizer.js';

/**
 * encodeWithOffsets: the same ids as encode, and offsets that point at the text each token was
 * made from. These are what the assistant masks rest on.
 */
const CORPUS = generateCorpus({ bytes: 60_000, seed: 7 });

function checkShape(tokenizer: Tokenizer, text: string, options: { allowedSpecial?: 'all' } = {}) {
  const { ids, offsets } = tokenizer.encodeWithOffsets(text, { ...options, addSpecialTokens: false });
  expect(ids).toEqual(tokenizer.encode(text, { ...options, addSpecialTokens: false }));
  expect(offsets).toHaveLength(ids.length);
  let previous: readonly [number, number] = [0, 0];
  for (const offset of offsets) {
    const [start, end] = offset;
    expect(start).toBeLessThan(end);
    expect(end).toBeLessThanOrEqual(text.length);
    // Tokens come in text order (neighbours share a range only on a character split between them).
    expect(start).toBeGreaterThanOrEqual(previous[0]);
    expect(end).toBeGreaterThanOrEqual(previous[1]);
    previous = offset;
  }
  return { ids, offsets };
}

describe.each(['llama3', 'qwen3'] as const)('%s (byte-level)', (name) => {
  const tokenizer = testTokenizer(name);
  const decodeOne = (id: number) => tokenizer.decode([id], { cleanUpTokenizationSpaces: false });

  test('each whole-character token spells exactly its slice of the text', () => {
    for (const chunk of CORPUS) {
      const text = name === 'qwen3' ? chunk.normalize('NFC') : chunk; // NFC text: Qwen's normalizer leaves it alone
      const { ids, offsets } = checkShape(tokenizer, text, { allowedSpecial: 'all' });
      ids.forEach((id, index) => {
        const piece = decodeOne(id);
        if (piece.includes('\ufffd')) return; // part of a character: its offsets cover the whole character
        const [start, end] = offsets[index]!;
        expect(text.slice(start, end)).toBe(piece);
      });
    }
  });

  test('arbitrary strings: offsets cover the text in order', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 60 }), (text) => {
        const { offsets } = checkShape(tokenizer, text);
        if (offsets.length > 0) {
          expect(offsets[0]![0]).toBe(0);
          expect(offsets.at(-1)![1]).toBe(text.length);
        }
      }),
      { numRuns: 400 },
    );
  });

  test('special tokens get their own span', () => {
    const special = name === 'llama3' ? '<|eot_id|>' : '<|im_end|>';
    const text = `ab${special}cd`;
    const { ids, offsets } = tokenizer.encodeWithOffsets(text, { allowedSpecial: 'all' });
    const at = ids.indexOf(tokenizer.tokenToId(special)!);
    expect(offsets[at]).toEqual([2, 2 + special.length]);
  });
});

test('qwen3: text rewritten by NFC maps back to the characters it came from', () => {
  const qwen = testTokenizer('qwen3');
  const text = 'cafe\u0301 ok'; // "é" decomposed: NFC makes one character of two
  const { ids, offsets } = checkShape(qwen, text);
  const pieces = ids.map((id, index) => [qwen.decode([id]), text.slice(...offsets[index]!)]);
  expect(pieces).toContainEqual([' ok', ' ok']);
  expect(pieces.map(([, slice]) => slice).join('')).toBe(text);
});

test('llama2 (SentencePiece, Prepend + Replace normalizer, byte fallback): offsets point at the words', () => {
  const llama2 = testTokenizer('llama2');
  const text = 'Hello world, naïve 👩🏽‍💻 <s> 日本語';
  const { ids, offsets } = llama2.encodeWithOffsets(text);
  expect(ids).toEqual(llama2.encode(text));
  expect(offsets[0]).toEqual([0, 0]); // <s> from the post-processor
  const slices = offsets.slice(1).map(([start, end]) => text.slice(start, end));
  expect(slices.slice(0, 3)).toEqual(['Hello', ' world', ',']);
  // Every character is covered, in order (byte-fallback tokens of one emoji share its range).
  expect([...new Set(offsets.slice(1).map(([start, end]) => `${start},${end}`))].map((key) => text.slice(...(key.split(',').map(Number) as [number, number]))).join('')).toBe(text);
  for (const chunk of CORPUS.slice(0, 60)) checkShape(llama2, chunk);
});

test('a Metaspace pre-tokenizer (Mistral-style Llama 2 vocabulary): ids as Rust gives, offsets point at the words', async () => {
  const json = structuredClone(vocabularyFiles('llama2').tokenizerJson) as Record<string, unknown>;
  json['normalizer'] = null;
  json['pre_tokenizer'] = { type: 'Metaspace', replacement: '▁', prepend_scheme: 'first', split: false };
  json['decoder'] = { type: 'Metaspace', replacement: '▁', prepend_scheme: 'first', split: false };
  const tokenizer = loadTokenizer(json);
  const rust = loadRustTokenizer(json);
  const text = 'Hello world, naïve 👩🏽‍💻 日本語';
  // Rust recognises special tokens spelled in text; Cria does when asked.
  const asRust = { allowedSpecial: 'all', addSpecialTokens: false } as const;
  expect(tokenizer.encode(text, asRust)).toEqual(await rust.encode(text));
  const { offsets } = checkShape(tokenizer, text);
  expect(offsets.slice(0, 3).map(([start, end]) => text.slice(start, end))).toEqual(['Hello', ' world', ',']);
  for (const chunk of CORPUS.slice(0, 40).map((chunk) => chunk.toWellFormed())) {
    checkShape(tokenizer, chunk, { allowedSpecial: 'all' });
    expect(tokenizer.encode(chunk, asRust)).toEqual(await rust.encode(chunk));
  }
});
