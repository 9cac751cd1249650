import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { testTokenizer } from './testing/load.js';

/** Round-trip properties on the byte-level vocabularies (no normalizer that changes text: Qwen's NFC aside). */
describe.each(['llama3', 'qwen3'] as const)('%s', (name) => {
  const tokenizer = testTokenizer(name);
  const decode = (ids: number[]) => tokenizer.decode(ids, { cleanUpTokenizationSpaces: false });

  test('decode(encode(x)) == x for arbitrary Unicode strings', () => {
    const normalize = name === 'qwen3' ? (text: string) => text.normalize('NFC') : (text: string) => text;
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 80 }), (text) => {
        expect(decode(tokenizer.encode(text))).toBe(normalize(text));
      }),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 60 }), (text) => {
        expect(decode(tokenizer.encode(text))).toBe(normalize(text));
      }),
      { numRuns: 500 },
    );
  });

  test('special-token look-alikes round-trip as text by default', () => {
    const specials = [...tokenizer.specialTokens.keys()];
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.constantFrom(...specials), fc.string({ maxLength: 5 })), { maxLength: 8 }), (parts) => {
        const text = parts.join('');
        const ids = tokenizer.encode(text);
        expect(ids.some((id) => tokenizer.isSpecial(id))).toBe(false);
        expect(decode(ids)).toBe(text);
      }),
      { numRuns: 300 },
    );
  });

  test('every single token id round-trips: decode([id]) encodes back to text that decodes the same; special tokens to [id]', () => {
    const failures: number[] = [];
    for (let id = 0; id < tokenizer.vocabSize; id++) {
      const text = decode([id]);
      if (text.includes('\ufffd')) continue; // a partial UTF-8 sequence has no text of its own
      if (name === 'qwen3' && text.normalize('NFC') !== text) continue; // Qwen normalizes input to NFC
      const ids = tokenizer.encode(text, { allowedSpecial: 'all', addSpecialTokens: false });
      // A token's text always decodes back; it re-encodes to the same single id unless BPE's merge order reaches another split.
      if (decode(ids) !== text) failures.push(id);
    }
    expect(failures).toEqual([]);
    for (const [content, id] of tokenizer.specialTokens) expect(tokenizer.encode(content, { allowedSpecial: 'all', addSpecialTokens: false })).toEqual([id]);
  });
});
