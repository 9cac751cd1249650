import { describe, expect, test } from 'vitest';
import { loadTokenizer } from './index.js';
import { loadOracle } from './testing/oracle.js';
import { vocabularyFiles } from './testing/vocabularies.js';

/**
 * Where transformers.js (the parity oracle) and Hugging Face's Rust tokenizers disagree, Cria
 * follows Rust. Each case below shows the difference; the README lists them.
 */
const llama3Files = vocabularyFiles('llama3');
const llama3 = loadTokenizer(llama3Files.tokenizerJson, llama3Files.tokenizerConfig);
const oracle = loadOracle('llama3');
/** The ids of text already split into pre-tokens (each piece alone pre-tokenizes to itself). */
const byPieces = (pieces: string[]) => pieces.flatMap((piece) => llama3.encode(piece));

describe('regex \\s: Oniguruma (Rust) uses Unicode White_Space, JavaScript does not', () => {
  test('U+FEFF (BOM) is not white space in Rust: " \\uFEFFb" keeps the space with the BOM', () => {
    const text = 'a \ufeffb';
    expect(llama3.encode(text)).toEqual(byPieces(['a', ' \ufeff', 'b']));
    expect(oracle.encode(text)).toEqual(byPieces(['a', ' ', '\ufeffb']));
  });

  test('U+0085 (NEL) is white space in Rust: " \\u0085b" splits before the letter run', () => {
    const text = 'a \u0085b';
    expect(llama3.encode(text)).toEqual(byPieces(['a', ' ', '\u0085b']));
    expect(oracle.encode(text)).toEqual(byPieces(['a', ' \u0085', 'b']));
  });
});

test("(?i:'s|…) folds case like Unicode: 'ſ (U+017F LONG S) is a contraction in Rust", () => {
  const text = "it'ſa";
  expect(llama3.encode(text)).toEqual(byPieces(['it', "'ſ", 'a']));
  expect(oracle.encode(text)).toEqual(byPieces(['it', "'ſa"]));
});

test('ByteFallback: an invalid byte run decodes to one U+FFFD per byte in Rust, per maximal subpart in transformers.js', () => {
  const files = vocabularyFiles('llama2');
  const llama2 = loadTokenizer(files.tokenizerJson, files.tokenizerConfig);
  const ids = ['<0xE4>', '<0xBD>', 'a'].map((token) => llama2.tokenToId(token)!);
  expect(llama2.decode(ids)).toBe('\ufffd\ufffda');
  expect(loadOracle('llama2').decode(ids)).toBe('\ufffda');
});
