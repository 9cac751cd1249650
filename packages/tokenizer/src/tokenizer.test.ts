import { describe, expect, test } from 'vitest';
import { SpecialTokenInTextError, TokenizerFormatError, TokenizerInputError, TokenizerRegexError, UnsupportedComponentError, loadTokenizer } from './index.js';
import { testTokenizer } from './testing/load.js';
import { vocabularyFiles } from './testing/vocabularies.js';

describe('special-token safety', () => {
  const llama3 = testTokenizer('llama3');
  const eot = llama3.tokenToId('<|eot_id|>')!;

  test('user text spelling a special token is plain text by default', () => {
    const ids = llama3.encode('bye<|eot_id|>');
    expect(ids).not.toContain(eot);
    expect(llama3.decode(ids)).toBe('bye<|eot_id|>');
  });

  test('allowedSpecial turns it into the control token', () => {
    expect(llama3.encode('bye<|eot_id|>', { allowedSpecial: 'all' }).at(-1)).toBe(eot);
    expect(llama3.encode('bye<|eot_id|>', { allowedSpecial: ['<|eot_id|>'] }).at(-1)).toBe(eot);
    expect(llama3.encode('bye<|eot_id|>', { allowedSpecial: ['<|end_of_text|>'] })).not.toContain(eot);
  });

  test("disallowedSpecial: 'error' throws a typed error that says how to allow it", () => {
    expect(() => llama3.encode('bye<|eot_id|>', { disallowedSpecial: 'error' })).toThrow(SpecialTokenInTextError);
    expect(() => llama3.encode('bye<|eot_id|>', { disallowedSpecial: 'error' })).toThrow(/allowedSpecial: 'all'/);
  });

  test('non-special added tokens (Qwen <tool_call>) are always matched, as in Hugging Face', () => {
    const qwen = testTokenizer('qwen3');
    expect(qwen.encode('<tool_call>')).toEqual([qwen.tokenToId('<tool_call>')]);
  });

  test('Llama 2: </s> in text stays text, <s> is added by the post-processor', () => {
    const llama2 = testTokenizer('llama2');
    const ids = llama2.encode('a</s>');
    expect(ids[0]).toBe(1);
    expect(ids).not.toContain(2);
    expect(llama2.encode('a', { addSpecialTokens: false })[0]).not.toBe(1);
  });
});

describe('token counting', () => {
  const qwen = testTokenizer('qwen3');
  const text = 'The quick brown fox jumps over the lazy dog. '.repeat(2000);

  test('equals the length of encode', () => {
    expect(qwen.countTokens(text)).toBe(qwen.encode(text).length);
  });

  test('stops early past the limit', () => {
    const full = qwen.encode(text).length;
    const count = qwen.countTokens(text, { limit: 10 });
    expect(count).toBeGreaterThan(10);
    expect(count).toBeLessThan(20);
    expect(qwen.isWithinTokenLimit(text, 10)).toBe(false);
    expect(qwen.isWithinTokenLimit(text, full)).toBe(full);
  });
});

describe('decode', () => {
  test('skipSpecialTokens drops special tokens', () => {
    const llama2 = testTokenizer('llama2');
    expect(llama2.decode(llama2.encode('Hello world'), { skipSpecialTokens: true })).toBe('Hello world');
    expect(llama2.decode(llama2.encode('Hello world'))).toBe('<s> Hello world');
  });

  test("Llama 3's clean_up_tokenization_spaces is applied unless turned off", () => {
    const llama3 = testTokenizer('llama3');
    const ids = llama3.encode('a . b');
    expect(llama3.decode(ids)).toBe('a. b');
    expect(llama3.decode(ids, { cleanUpTokenizationSpaces: false })).toBe('a . b');
  });

  test('unknown ids are skipped', () => {
    const qwen = testTokenizer('qwen3');
    expect(qwen.decode([...qwen.encode('hi'), 10_000_000])).toBe('hi');
  });
});

test('arguments of the wrong kind from JavaScript get a TokenizerInputError, not a TypeError', () => {
  const qwen = testTokenizer('qwen3');
  for (const text of [null, undefined, 5, ['a'], { text: 'a' }]) {
    expect(() => qwen.encode(text as never), String(text)).toThrow(TokenizerInputError);
    expect(() => qwen.countTokens(text as never)).toThrow(TokenizerInputError);
    expect(() => qwen.encodeWithOffsets(text as never)).toThrow(TokenizerInputError);
  }
  expect(() => qwen.encode(null as never)).toThrow('encode expects a string, got null');
  for (const ids of [null, undefined, 5, 'abc']) expect(() => qwen.decode(ids as never), String(ids)).toThrow(/decode expects an array of token ids/);
});

describe('malformed tokenizer.json gives typed errors naming the field', () => {
  const base = vocabularyFiles('qwen3').tokenizerJson;
  const variant = (change: (json: Record<string, any>) => void) => {
    const json = structuredClone(base) as Record<string, any>;
    change(json);
    return () => loadTokenizer(json);
  };

  test('missing model', () => {
    expect(variant((json) => delete json['model'])).toThrow(TokenizerFormatError);
    expect(variant((json) => delete json['model'])).toThrow(/`model`/);
  });

  test('merges referencing unknown tokens', () => {
    const load = variant((json) => json['model'].merges.splice(5, 0, ['Ġ', 'notatoken']));
    expect(load).toThrow(TokenizerFormatError);
    expect(load).toThrow(/model\.merges\[5\].*notatoken/s);
  });

  test.each([['a string with no space', 'Ġthe'], ['a pair of three', ['a', 'b', 'c']], ['a pair with a number', ['a', 7]], ['a number', 42]])('a merge that is %s', (_, merge) => {
    const load = variant((json) => json['model'].merges.splice(7, 0, merge));
    expect(load).toThrow(TokenizerFormatError);
    expect(load).toThrow(/model\.merges\[7\].*"left right" string or a \[left, right\] pair/s);
  });

  // 2^53 + 2 sized an id-indexed table past what can be allocated (a RangeError): found by mutating Qwen 3's vocabulary.
  test.each([1.5, -1, 2 ** 24, 2 ** 53 + 2])('a vocabulary id of %s', (id) => {
    const load = variant((json) => (json['model'].vocab['Ġthe'] = id));
    expect(load).toThrow(TokenizerFormatError);
    expect(load).toThrow(/model\.vocab\["Ġthe"\].*a token id \(an integer from 0 to 16777215\)/s);
  });

  test('an added token id past the largest a tokenizer may use', () => {
    const load = variant((json) => (json['added_tokens'][0].id = 2 ** 40));
    expect(load).toThrow(/added_tokens\[0\]\.id.*an integer from 0 to 16777215/s);
  });

  test('a bad regex', () => {
    const load = variant((json) => (json['pre_tokenizer'].pretokenizers[0].pattern.Regex = '(\\p{L}+'));
    expect(load).toThrow(TokenizerRegexError);
    expect(load).toThrow(/pre_tokenizer\.pretokenizers\[0\]\.pattern\.Regex/);
  });

  test('an unknown model type names the type', () => {
    const load = variant((json) => (json['model'].type = 'Unigram'));
    expect(load).toThrow(UnsupportedComponentError);
    expect(load).toThrow(/Unigram/);
  });

  test('an unknown pre-tokenizer type names the type and the field', () => {
    expect(variant((json) => (json['pre_tokenizer'].pretokenizers[1].type = 'BertPreTokenizer'))).toThrow(/pre_tokenizer\.pretokenizers\[1\].*BertPreTokenizer/);
  });

  test('invalid JSON text', () => {
    expect(() => loadTokenizer('{"model": ')).toThrow(TokenizerFormatError);
  });
});
