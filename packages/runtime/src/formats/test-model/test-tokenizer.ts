import { gguf, type GgufValue } from '../gguf/gguf-value.js';

/**
 * A small byte-level BPE tokenizer for the test models: the 256 GPT-2 byte symbols, a fixed list of
 * common English merges, ChatML special tokens, and reserved tokens up to the model's vocab size.
 * It is written both as Hugging Face tokenizer.json/tokenizer_config.json and as GGUF
 * `tokenizer.ggml.*` metadata (model "gpt2", pre "gpt-2"), so both forms tokenize identically.
 */
const MERGES: ReadonlyArray<[string, string]> = [
  ['Ġ', 't'], ['h', 'e'], ['Ġ', 'a'], ['i', 'n'], ['Ġt', 'he'], ['e', 'r'], ['o', 'n'], ['Ġ', 's'],
  ['r', 'e'], ['a', 't'], ['Ġ', 'w'], ['e', 'n'], ['Ġ', 'o'], ['i', 's'], ['Ġ', 'b'], ['o', 'r'],
  ['Ġ', 'c'], ['Ġ', 'm'], ['a', 'n'], ['e', 'd'], ['Ġ', 'h'], ['Ġ', 'f'], ['i', 't'], ['Ġ', 'l'],
  ['Ġ', 'i'], ['o', 'u'], ['Ġ', 'd'], ['Ġ', 'p'], ['a', 'r'], ['Ġ', 'n'], ['l', 'l'], ['e', 's'],
  ['Ġa', 'n'], ['Ġan', 'd'], ['in', 'g'], ['Ġo', 'f'], ['Ġt', 'o'], ['Ġi', 's'], ['Ġi', 'n'], ['Ġh', 'e'],
];
const SPECIAL_TOKENS = ['<|endoftext|>', '<|im_start|>', '<|im_end|>'] as const;
export const TEST_CHAT_TEMPLATE =
  "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

/** GPT-2's `bytes_to_unicode`: printable bytes map to themselves, the rest to U+0100 onwards. */
export function byteSymbols(): string[] {
  const symbols = new Array<string>(256);
  let next = 256;
  for (let byte = 0; byte < 256; byte++) {
    const printable = (byte >= 0x21 && byte <= 0x7e) || (byte >= 0xa1 && byte <= 0xac) || (byte >= 0xae && byte <= 0xff);
    symbols[byte] = String.fromCodePoint(printable ? byte : next++);
  }
  return symbols;
}

export interface TestVocabulary {
  readonly tokens: readonly string[];
  /** llama.cpp token types: 1 normal, 3 control. */
  readonly types: readonly number[];
  readonly merges: readonly string[];
  readonly bosId: number;
  readonly eosId: number;
  readonly padId: number;
}

/** The smallest vocab size the tokenizer needs (bytes + merges + special tokens). */
export const MIN_TEST_VOCAB_SIZE = 256 + MERGES.length + SPECIAL_TOKENS.length;

export function testVocabulary(vocabSize: number): TestVocabulary {
  if (vocabSize < MIN_TEST_VOCAB_SIZE) throw new RangeError(`the test tokenizer needs a vocab size of at least ${MIN_TEST_VOCAB_SIZE}, got ${vocabSize}`);
  const normal = [...byteSymbols(), ...MERGES.map(([left, right]) => left + right)];
  const control: string[] = [...SPECIAL_TOKENS];
  while (normal.length + control.length < vocabSize) control.push(`<|reserved_${normal.length + control.length - MIN_TEST_VOCAB_SIZE}|>`);
  const tokens = [...normal, ...control];
  return {
    tokens,
    types: tokens.map((_, id) => (id < normal.length ? 1 : 3)),
    merges: MERGES.map(([left, right]) => `${left} ${right}`),
    bosId: normal.length, // <|endoftext|>
    eosId: normal.length + 2, // <|im_end|>
    padId: normal.length,
  };
}

/** tokenizer.json in the format Hugging Face `tokenizers` writes. */
export function tokenizerJson(vocabulary: TestVocabulary): object {
  const firstSpecial = vocabulary.types.indexOf(3);
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: vocabulary.tokens.slice(firstSpecial).map((content, index) => ({
      id: firstSpecial + index,
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: true },
    decoder: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab: Object.fromEntries(vocabulary.tokens.slice(0, firstSpecial).map((token, id) => [token, id])),
      merges: vocabulary.merges,
    },
  };
}

export function tokenizerConfigJson(vocabulary: TestVocabulary): object {
  return {
    add_bos_token: false,
    add_eos_token: false,
    bos_token: vocabulary.tokens[vocabulary.bosId],
    eos_token: vocabulary.tokens[vocabulary.eosId],
    pad_token: vocabulary.tokens[vocabulary.padId],
    chat_template: TEST_CHAT_TEMPLATE,
    clean_up_tokenization_spaces: false,
    model_max_length: 2048,
    tokenizer_class: 'PreTrainedTokenizerFast',
  };
}

/** The same tokenizer as llama.cpp's GGUF keys. */
export function tokenizerGgufMetadata(vocabulary: TestVocabulary): Record<string, GgufValue> {
  return {
    'tokenizer.ggml.model': gguf.string('gpt2'),
    'tokenizer.ggml.pre': gguf.string('gpt-2'),
    'tokenizer.ggml.tokens': gguf.strings([...vocabulary.tokens]),
    'tokenizer.ggml.token_type': gguf.array('i32', Int32Array.from(vocabulary.types)),
    'tokenizer.ggml.merges': gguf.strings([...vocabulary.merges]),
    'tokenizer.ggml.bos_token_id': gguf.u32(vocabulary.bosId),
    'tokenizer.ggml.eos_token_id': gguf.u32(vocabulary.eosId),
    'tokenizer.ggml.padding_token_id': gguf.u32(vocabulary.padId),
    'tokenizer.ggml.add_bos_token': gguf.bool(false),
    'tokenizer.chat_template': gguf.string(TEST_CHAT_TEMPLATE),
  };
}
