import { describe, expect, test } from 'vitest';
import { generateCorpus } from './testing/corpus.js';
import { testTokenizer } from './testing/load.js';
import { VOCABULARIES } from './testing/vocabularies.js';

const SAMPLES = ['Hello, world!', 'naïve café 👨‍👩‍👧‍👦 and 👍🏽', '中文日本語한국어', '  spaced\n\tout  ', ...generateCorpus({ bytes: 20_000, seed: 7 })];

describe.each(VOCABULARIES)('%s', (name) => {
  const tokenizer = testTokenizer(name);

  test('streamed pieces concatenate to decode(all ids) and never hold a partial character', () => {
    for (const text of SAMPLES) {
      const ids = tokenizer.encode(text, { allowedSpecial: 'all' });
      const stream = tokenizer.createStreamDecoder();
      const pieces = ids.map((id) => stream.push(id));
      pieces.push(stream.flush());
      expect(pieces.join('')).toBe(tokenizer.decode(ids, { cleanUpTokenizationSpaces: false }));
      for (const piece of pieces) expect(piece.endsWith('\ufffd') && !text.includes('\ufffd')).toBe(false);
    }
  });
});

test('a multi-byte character split over byte tokens is emitted whole, once complete', () => {
  const tokenizer = testTokenizer('qwen3');
  const ids = tokenizer.encode('𓀀');
  expect(ids.length).toBeGreaterThan(1);
  const stream = tokenizer.createStreamDecoder();
  const pieces = ids.map((id) => stream.push(id));
  expect(pieces.slice(0, -1).every((piece) => piece === '')).toBe(true);
  expect(pieces.at(-1)).toBe('𓀀');
});
