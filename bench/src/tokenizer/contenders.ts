import { readVocabulary, type HfVocabulary } from './vocabularies.js';

/**
 * One tokenizer library on one vocabulary, as a user would call it: `encode` a text to ids and
 * `decode` ids to text. Special-token handling is matched where libraries differ: Cria is asked to
 * recognise special tokens spelled in text because transformers.js always does; tiktoken and
 * gpt-tokenizer encode them as plain text (`encode_ordinary`, an empty `disallowedSpecial`),
 * instead of throwing on the look-alikes the corpus holds.
 */
export interface TokenizerContender {
  /** `cria`, `transformers.js`, `tiktoken`, `gpt-tokenizer`. */
  impl: string;
  vocabulary: string;
  encode(text: string): ArrayLike<number>;
  decode(ids: ArrayLike<number>): string;
  /** The text `decode(encode(text))` should give back (NFC for Qwen, whose normalizer rewrites text). */
  roundTrip(text: string): string;
  dispose?(): void;
}

/** A contender not yet started: its name, and how to load it (transformers.js alone takes seconds). */
export interface ContenderFactory {
  impl: string;
  vocabulary: string;
  start(): Promise<TokenizerContender>;
}

/** Lone surrogates as U+FFFD: what any UTF-8 round trip gives back (String.prototype.toWellFormed, ES2024). */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
const wellFormed = (text: string) => text.replace(LONE_SURROGATE, '\ufffd');
const nfc = (text: string) => wellFormed(text).normalize('NFC');
const roundTripOf = (vocabulary: string) => (vocabulary === 'qwen3' ? nfc : wellFormed);

export function criaContender(vocabulary: HfVocabulary): ContenderFactory {
  return {
    impl: 'cria',
    vocabulary,
    start: async () => {
      // Imported when used, so the other suites run without the tokenizer package built.
      const { loadTokenizer } = await import('@cria/tokenizer');
      const { tokenizerJson, tokenizerConfig } = readVocabulary(vocabulary);
      const tokenizer = loadTokenizer(tokenizerJson, tokenizerConfig);
      return {
        impl: 'cria',
        vocabulary,
        encode: (text) => tokenizer.encode(text, { allowedSpecial: 'all', addSpecialTokens: false }),
        decode: (ids) => tokenizer.decode(ids, { cleanUpTokenizationSpaces: false }),
        roundTrip: roundTripOf(vocabulary),
      };
    },
  };
}

interface TransformersTokenizer {
  encode(text: string, options: { add_special_tokens: boolean }): number[];
  decode(ids: ArrayLike<number>, options: { clean_up_tokenization_spaces: boolean }): string;
}

export function transformersContender(vocabulary: HfVocabulary): ContenderFactory {
  return {
    impl: 'transformers.js',
    vocabulary,
    start: async () => {
      const transformers = (await import('@huggingface/transformers')) as unknown as Record<string, unknown>;
      const { tokenizerJson, tokenizerConfig } = readVocabulary(vocabulary);
      // The class tokenizer_config.json names (Qwen2Tokenizer), as AutoTokenizer picks it; else the generic one.
      const named = transformers[String(tokenizerConfig['tokenizer_class'])];
      const TokenizerClass = (typeof named === 'function' ? named : transformers['PreTrainedTokenizer']) as new (
        json: unknown,
        config: unknown,
      ) => TransformersTokenizer;
      const tokenizer = new TokenizerClass(JSON.parse(tokenizerJson), tokenizerConfig);
      return {
        impl: 'transformers.js',
        vocabulary,
        encode: (text) => tokenizer.encode(text, { add_special_tokens: false }),
        decode: (ids) => tokenizer.decode(ids, { clean_up_tokenization_spaces: false }),
        roundTrip: roundTripOf(vocabulary),
      };
    },
  };
}

export function tiktokenContender(encoding: 'cl100k_base' | 'o200k_base'): ContenderFactory {
  return {
    impl: 'tiktoken',
    vocabulary: encoding,
    start: async () => {
      const { get_encoding } = await import('tiktoken');
      const tiktoken = get_encoding(encoding);
      const utf8 = new TextDecoder();
      return {
        impl: 'tiktoken',
        vocabulary: encoding,
        encode: (text) => tiktoken.encode_ordinary(text),
        // tiktoken decodes to bytes; the text is what a user needs.
        decode: (ids) => utf8.decode(tiktoken.decode(ids instanceof Uint32Array ? ids : Uint32Array.from(ids))),
        roundTrip: wellFormed,
        dispose: () => tiktoken.free(),
      };
    },
  };
}

interface GptTokenizerModule {
  encode(text: string, options: { disallowedSpecial: Set<string> }): number[];
  decode(ids: Iterable<number>): string;
}

export function gptTokenizerContender(encoding: 'cl100k_base' | 'o200k_base'): ContenderFactory {
  return {
    impl: 'gpt-tokenizer',
    vocabulary: encoding,
    start: async () => {
      const module = (await import(`gpt-tokenizer/encoding/${encoding}`)) as GptTokenizerModule;
      const plain = { disallowedSpecial: new Set<string>() };
      return {
        impl: 'gpt-tokenizer',
        vocabulary: encoding,
        encode: (text) => module.encode(text, plain),
        decode: (ids) => module.decode(Array.isArray(ids) ? ids : Array.from(ids)),
        roundTrip: wellFormed,
      };
    },
  };
}

/** Every contender of a full run, in table order. */
export function defaultContenders(): ContenderFactory[] {
  return [
    criaContender('llama3'),
    transformersContender('llama3'),
    criaContender('qwen3'),
    transformersContender('qwen3'),
    tiktokenContender('cl100k_base'),
    gptTokenizerContender('cl100k_base'),
    tiktokenContender('o200k_base'),
    gptTokenizerContender('o200k_base'),
  ];
}
