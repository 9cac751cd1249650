import { describe, expect, test } from 'vitest';
import { testTokenizer } from './testing/load.js';
import { loadOracle } from './testing/oracle.js';
import { loadRustTokenizer } from './testing/rust-oracle.js';
import { vocabularyFiles } from './testing/vocabularies.js';

/**
 * Where transformers.js (the parity oracle) and Hugging Face's Rust tokenizers (the reference,
 * run here through its Node binding) disagree, and what Cria does. Each case shows all three;
 * the README lists them.
 */
const llama3 = testTokenizer('llama3');
const oracle = loadOracle('llama3');
const rust = loadRustTokenizer(vocabularyFiles('llama3').tokenizerJson);
/** The ids of text already split into pre-tokens (each piece alone pre-tokenizes to itself). */
const byPieces = (pieces: string[]) => pieces.flatMap((piece) => llama3.encode(piece));

describe('Cria follows Rust where transformers.js does not', () => {
  test('U+FEFF (BOM) is not white space in Rust (Unicode White_Space) but is in JavaScript: " \\uFEFF" stays one piece', async () => {
    const text = 'a \ufeffb';
    expect(await rust.encode(text)).toEqual(byPieces(['a', ' \ufeff', 'b']));
    expect(llama3.encode(text)).toEqual(await rust.encode(text));
    expect(oracle.encode(text)).toEqual(byPieces(['a', ' ', '\ufeffb']));
  });

  test('U+0085 (NEL) is white space in Rust but not in JavaScript: " \\u0085b" splits before the letter run', async () => {
    const text = 'a \u0085b';
    expect(await rust.encode(text)).toEqual(byPieces(['a', ' ', '\u0085b']));
    expect(llama3.encode(text)).toEqual(await rust.encode(text));
    expect(oracle.encode(text)).toEqual(byPieces(['a', ' \u0085', 'b']));
  });

  test("(?i:'s|…) folds case like Unicode in Rust: 'ſ (U+017F LONG S) is a contraction", async () => {
    const text = "it'ſa";
    expect(await rust.encode(text)).toEqual(byPieces(['it', "'ſ", 'a']));
    expect(llama3.encode(text)).toEqual(await rust.encode(text));
    expect(oracle.encode(text)).toEqual(byPieces(['it', "'ſa"]));
  });

  test('ByteFallback: an invalid byte run decodes to one U+FFFD per byte in Rust, per maximal subpart in transformers.js', async () => {
    const llama2 = testTokenizer('llama2');
    const ids = ['<0xE4>', '<0xBD>', 'a'].map((token) => llama2.tokenToId(token)!);
    expect(await loadRustTokenizer(vocabularyFiles('llama2').tokenizerJson).decode(ids)).toBe('\ufffd\ufffda');
    expect(llama2.decode(ids)).toBe('\ufffd\ufffda');
    expect(loadOracle('llama2').decode(ids)).toBe('\ufffda');
  });
});

describe('Cria follows JavaScript where Rust cannot be followed', () => {
  test('a lone surrogate: Rust never sees one (the binding passes U+FFFD); Cria and transformers.js encode the bytes of U+FFFD', async () => {
    const llama2 = testTokenizer('llama2');
    const rustLlama2 = loadRustTokenizer(vocabularyFiles('llama2').tokenizerJson);
    const text = 'a\ud800b';
    // Llama 2 has a "�" token: Rust, given U+FFFD, uses it; byte fallback of the surrogate gives <0xEF><0xBF><0xBD>.
    expect(await rustLlama2.encode(text)).toEqual(llama2.encode('a\ufffdb', { addSpecialTokens: false }));
    expect(llama2.encode(text, { addSpecialTokens: false })).toEqual(loadOracle('llama2').encode(text, { add_special_tokens: false }));
    expect(llama2.encode(text, { addSpecialTokens: false })).toContain(llama2.tokenToId('<0xEF>'));
    // Byte-level vocabularies spell U+FFFD as its bytes either way: all three agree.
    expect(llama3.encode(text)).toEqual(await rust.encode(text));
  });

  test('characters of Unicode 14 and later: JavaScript knows U+0C5C as a letter, Rust 0.22 does not', async () => {
    const text = 'x.\u0c5c.';
    expect(rust.preTokenize(text)).toEqual(['x', '.à±ľ.']); // the letter rides with the punctuation
    expect(llama3.encode(text)).toEqual(oracle.encode(text));
    expect(llama3.encode(text)).toEqual(byPieces(['x', '.\u0c5c', '.']));
  });

  test('NFC of newer combining marks: U+1DF8 (class 228) goes before U+06D8 (230) in JavaScript, not in Rust 0.22', async () => {
    const qwen = testTokenizer('qwen3');
    const text = '\u06d8\u1df8';
    expect(text.normalize('NFC')).toBe('\u1df8\u06d8');
    expect(qwen.encode(text)).toEqual(qwen.encode('\u1df8\u06d8'));
    expect(await loadRustTokenizer(vocabularyFiles('qwen3').tokenizerJson).encode(text)).not.toEqual(qwen.encode(text));
  });
});
